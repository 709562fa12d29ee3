// Never imported by @huggingface/transformers under Node (it binds onnxruntime-node); present only to satisfy npm.
module.exports = {};
