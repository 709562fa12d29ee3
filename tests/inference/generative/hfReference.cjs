// The independent reference: @huggingface/transformers (pinned) run on a generated model folder, in its own process
// (ONNX Runtime sessions cannot run on jest's VM thread). Reads one JSON job from argv, prints one JSON result.
//   {"task": "chat", "dir": ..., "messages": [...], "maxNewTokens": n}  → {"promptIds": [...], "completionIds": [...]}
//   {"task": "embed", "dir": ..., "inputs": [...]}                       → {"embeddings": [[...]], "tokens": n}
const path = require('node:path');
const t = require('@huggingface/transformers');

async function main() {
    const job = JSON.parse(process.argv[2]);
    t.env.allowRemoteModels = false;
    t.env.localModelPath = path.dirname(job.dir) + path.sep;
    const id = path.basename(job.dir);
    if (job.task === 'chat') {
        const tokenizer = await t.AutoTokenizer.from_pretrained(id);
        const model = await t.AutoModelForCausalLM.from_pretrained(id, { dtype: 'fp32' });
        const inputs = tokenizer.apply_chat_template(job.messages, { add_generation_prompt: true, return_dict: true });
        const out = await model.generate({ ...inputs, max_new_tokens: job.maxNewTokens, do_sample: false });
        const promptIds = Array.from(inputs.input_ids.data, Number);
        const all = out.tolist()[0].map(Number);
        return { promptIds, completionIds: all.slice(promptIds.length) };
    }
    if (job.task === 'embed') {
        const extractor = await t.pipeline('feature-extraction', id, { dtype: 'fp32' });
        const output = await extractor(job.inputs, { pooling: 'mean', normalize: true });
        return { embeddings: output.tolist() };
    }
    throw new Error(`unknown task ${job.task}`);
}

main().then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (err) => {
        process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
        process.exit(1);
    },
);
