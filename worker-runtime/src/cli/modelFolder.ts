/**
 * The folder side of `chrysalis model`: inspect a model package, and try it through the same engines the worker uses
 * (a worker thread per model) before registering it. `--json` prints exactly one JSON object on stdout, snake_case:
 *
 *   model chat <dir> --messages m.json [--model-file onnx/model_q4.onnx] [--max-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S] --json
 *     → {prompt_token_ids, completion_token_ids, text, finish_reason, usage: {prompt_tokens, completion_tokens,
 *        total_tokens, prompt_tokens_details: {cached_tokens}, completion_tokens_details: {reasoning_tokens}}}
 *   model embed <dir> --input inputs.json --json        → {embeddings, usage: {prompt_tokens}}
 *   model transcribe <dir> <audio.wav> [--max-tokens N] --json → {token_ids, text, duration_s}
 */
import { readFile } from 'node:fs/promises';
import {
    ChatEngine,
    EmbeddingEngine,
    GenerateResult,
    InvalidInputError,
    ModelPackage,
    SpeechEngine,
    loadTextProcessor,
    packageManifest,
    packageTask,
    parseWav,
    readModelPackage,
} from '../inference';

export type Flags = Record<string, string | boolean | undefined>;

export class UsageError extends Error {}

const out = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');

async function readJsonFile(file: string, what: string): Promise<unknown> {
    let text: string;
    try {
        text = await readFile(file, 'utf8');
    } catch (err) {
        throw new InvalidInputError(`cannot read ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new InvalidInputError(`${what} file ${file} is not valid JSON: ${(err as Error).message}`);
    }
}

function numberFlag(flags: Flags, name: string, integer: boolean): number | undefined {
    const v = flags[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isSafeInteger(n))) {
        throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
    }
    return n;
}

function modelFileFlag(flags: Flags): string | undefined {
    return typeof flags['model-file'] === 'string' ? flags['model-file'] : undefined;
}

export async function inspectFolder(dir: string, json: boolean): Promise<number> {
    const pkg = readModelPackage(dir);
    const text = loadTextProcessor(pkg);
    const tokenizerConfig = JSON.parse(
        Buffer.from(pkg.contents.get('tokenizer_config.json') ?? Buffer.from('{}')).toString(),
    );
    const tokenizerJson = JSON.parse(Buffer.from(pkg.contents.get('tokenizer.json')!).toString());
    const vocab = tokenizerJson.model?.vocab;
    const vocabSize =
        (Array.isArray(vocab) ? vocab.length : Object.keys(vocab ?? {}).length) +
        (tokenizerJson.added_tokens?.length ?? 0);
    const info = {
        path: dir,
        hash: pkg.hash,
        task: packageTask(pkg),
        architecture: text.modelType,
        context_length: text.contextLength,
        tokenizer: {
            class: tokenizerConfig.tokenizer_class ?? null,
            model: tokenizerJson.model?.type ?? null,
            vocab_size: vocabSize,
            chat_template: text.hasChatTemplate,
        },
        special_tokens: text.specialTokens,
        eos_token_ids: text.eosTokenIds,
        think_span: text.thinkSpan
            ? { start_token_id: text.thinkSpan.startId, end_token_id: text.thinkSpan.endId }
            : null,
        files: pkg.files,
    };
    if (json) {
        out(info);
        return 0;
    }
    const specials = Object.entries(text.specialTokens).map(([k, v]) => `${k}=${v.content} (${v.id ?? '?'})`);
    process.stdout.write(
        [
            `model:          ${dir}`,
            `hash:           ${pkg.hash} (package of ${pkg.files.length} files)`,
            `task:           ${info.task}`,
            `architecture:   ${info.architecture}`,
            `context length: ${info.context_length}`,
            `tokenizer:      ${info.tokenizer.class ?? '?'} (${info.tokenizer.model}, ${vocabSize} tokens${text.hasChatTemplate ? ', chat template' : ''})`,
            `special tokens: ${specials.join(', ') || 'none'}`,
            `end ids:        ${text.eosTokenIds.join(', ') || 'none'}`,
            ...(text.thinkSpan ? [`think span:     ${text.thinkSpan.startId} … ${text.thinkSpan.endId}`] : []),
            'manifest:',
            ...packageManifest(pkg.files)
                .trimEnd()
                .split('\n')
                .map((l) => `  ${l}`),
        ].join('\n') + '\n',
    );
    return 0;
}

export function chatJson(r: GenerateResult) {
    return {
        prompt_token_ids: r.promptTokenIds,
        completion_token_ids: r.completionTokenIds,
        text: r.text,
        finish_reason: r.finishReason,
        usage: {
            prompt_tokens: r.usage.promptTokens,
            completion_tokens: r.usage.completionTokens,
            total_tokens: r.usage.promptTokens + r.usage.completionTokens,
            prompt_tokens_details: { cached_tokens: r.usage.cachedTokens },
            completion_tokens_details: { reasoning_tokens: r.usage.reasoningTokens },
        },
    };
}

export async function chat(dir: string, flags: Flags): Promise<number> {
    if (typeof flags.messages !== 'string') throw new UsageError('model chat needs --messages <file.json>');
    const messages = await readJsonFile(flags.messages, 'messages');
    const temperature = numberFlag(flags, 'temperature', false);
    const engine = await ChatEngine.create(dir, { registry: null, modelFile: modelFileFlag(flags) });
    try {
        const json = flags.json === true;
        const result = await engine.generate(
            {
                messages: messages as never,
                maxTokens: numberFlag(flags, 'max-tokens', true) ?? 64,
                temperature,
                topP: numberFlag(flags, 'top-p', false),
                topK: numberFlag(flags, 'top-k', true),
                seed: numberFlag(flags, 'seed', true),
            },
            json ? undefined : (t) => process.stdout.write(t.textDelta),
        );
        if (json) out(chatJson(result));
        else {
            const u = result.usage;
            process.stdout.write(
                `\n[${result.finishReason}; prompt ${u.promptTokens}, completion ${u.completionTokens}, reasoning ${u.reasoningTokens} tokens]\n`,
            );
        }
        return 0;
    } finally {
        await engine.close();
    }
}

export async function embed(dir: string, flags: Flags): Promise<number> {
    if (typeof flags.input !== 'string')
        throw new UsageError('model embed needs --input <file.json: array of strings>');
    const inputs = await readJsonFile(flags.input, 'input');
    const engine = await EmbeddingEngine.create(dir, { registry: null, modelFile: modelFileFlag(flags) });
    try {
        const result = await engine.embed(inputs as string[]);
        if (flags.json) out({ embeddings: result.embeddings, usage: { prompt_tokens: result.promptTokens } });
        else {
            const dims = result.embeddings[0]?.length ?? 0;
            process.stdout.write(
                `${result.embeddings.length} embeddings of ${dims} dimensions; ${result.promptTokens} input tokens\n`,
            );
        }
        return 0;
    } finally {
        await engine.close();
    }
}

export async function transcribe(dir: string, audio: string | undefined, flags: Flags): Promise<number> {
    if (!audio) throw new UsageError('model transcribe needs <audio.wav>');
    let bytes: Buffer;
    try {
        bytes = await readFile(audio);
    } catch (err) {
        throw new InvalidInputError(`cannot read audio file ${audio}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    const wav = parseWav(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const engine = await SpeechEngine.create(dir, { registry: null });
    try {
        const result = await engine.transcribe(wav.pcm, { maxTokens: numberFlag(flags, 'max-tokens', true) });
        if (flags.json) out({ token_ids: result.tokenIds, text: result.text, duration_s: result.durationS });
        else
            process.stdout.write(
                `${result.text}\n[${result.durationS} s of audio; ${result.tokenIds.length} tokens]\n`,
            );
        return 0;
    } finally {
        await engine.close();
    }
}
