// @huggingface/transformers imports sharp statically and checks that the export is truthy; Chrysalis never decodes
// images, so the real 19 MB native package is replaced by this function that throws if anything ever calls it.
function sharp() {
    throw new Error('sharp is stubbed out in Chrysalis: image inputs are not supported');
}
module.exports = sharp;
module.exports.default = sharp;
