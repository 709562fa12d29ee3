/**
 * OpenAI request bodies in, the proxy's `inputs` out. Each endpoint lists the fields it takes; any other field is a
 * 400 that names it (a few are accepted at their neutral value only, e.g. `n: 1`), so an app never silently gets
 * something other than what it asked for. docs/client.md lists the same fields.
 */
import { GatewayError, invalid, unsupported } from './errors';

type Body = Record<string, unknown>;

/** Fields accepted only at the value that changes nothing. */
const NEUTRAL: Record<string, (v: unknown) => boolean> = {
    n: (v) => v === 1 || v === null,
    presence_penalty: (v) => v === 0 || v === null,
    frequency_penalty: (v) => v === 0 || v === null,
    logprobs: (v) => v === false || v === null,
    echo: (v) => v === false || v === null,
    best_of: (v) => v === 1 || v === null,
    user: (v) => typeof v === 'string',
    stream_options: (v) => v === null,
};

export const CHAT_FIELDS = [
    'model',
    'messages',
    'stream',
    'stream_options',
    'max_tokens',
    'max_completion_tokens',
    'temperature',
    'top_p',
    'top_k',
    'seed',
    'stop',
] as const;
export const COMPLETION_FIELDS = [
    'model',
    'prompt',
    'stream',
    'stream_options',
    'max_tokens',
    'temperature',
    'top_p',
    'top_k',
    'seed',
    'stop',
] as const;
export const EMBEDDING_FIELDS = ['model', 'input', 'encoding_format'] as const;
export const TRANSCRIPTION_FIELDS = ['file', 'model', 'response_format', 'temperature'] as const;
export const NEUTRAL_FIELDS = Object.keys(NEUTRAL);

function body(raw: unknown): Body {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new GatewayError(400, 'the body must be a JSON object', 'invalid_request_error', 'invalid_body');
    }
    return raw as Body;
}

function onlyFields(b: Body, allowed: readonly string[]): void {
    for (const [k, v] of Object.entries(b)) {
        if (allowed.includes(k) || v === undefined) continue;
        if (k in NEUTRAL) {
            if (!NEUTRAL[k](v))
                throw unsupported(k, `is supported only as ${k === 'user' ? 'a string' : 'its default'}`);
            continue;
        }
        throw unsupported(k);
    }
}

function model(b: Body): string {
    if (typeof b.model !== 'string' || b.model.length === 0) throw invalid('model', "'model' must be a model id");
    return b.model;
}

function optionalNumber(b: Body, name: string, integer: boolean): number | undefined {
    const v = b[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
        throw invalid(name, `'${name}' must be ${integer ? 'an integer' : 'a number'}`);
    }
    return v;
}

export interface GenerationCall {
    model: string;
    stream: boolean;
    includeUsage: boolean;
    /** The proxy's `/v1/generate` inputs (without `stream`: the SDK sets it). */
    inputs: Record<string, unknown>;
}

function sampling(b: Body): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const maxTokens = optionalNumber(b, 'max_completion_tokens', true) ?? optionalNumber(b, 'max_tokens', true);
    if (maxTokens !== undefined) out.max_tokens = maxTokens;
    for (const [name, integer] of [
        ['temperature', false],
        ['top_p', false],
        ['top_k', true],
        ['seed', true],
    ] as const) {
        const v = optionalNumber(b, name, integer);
        if (v !== undefined) out[name] = v;
    }
    if (b.stop !== undefined && b.stop !== null) out.stop = b.stop;
    return out;
}

function streamFlags(b: Body): { stream: boolean; includeUsage: boolean } {
    if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') {
        throw invalid('stream', "'stream' must be a boolean");
    }
    const stream = b.stream === true;
    let includeUsage = false;
    if (b.stream_options !== undefined && b.stream_options !== null) {
        if (!stream) throw invalid('stream_options', "'stream_options' is only allowed when 'stream' is true");
        const o = b.stream_options as Record<string, unknown>;
        for (const k of Object.keys(o)) if (k !== 'include_usage') throw unsupported(`stream_options.${k}`);
        if (o.include_usage !== undefined && typeof o.include_usage !== 'boolean') {
            throw invalid('stream_options.include_usage', "'stream_options.include_usage' must be a boolean");
        }
        includeUsage = o.include_usage === true;
    }
    return { stream, includeUsage };
}

/** `POST /v1/chat/completions`: messages with text content (a string, or text parts). */
export function parseChatRequest(raw: unknown): GenerationCall {
    const b = body(raw);
    onlyFields(b, CHAT_FIELDS);
    if (!Array.isArray(b.messages) || b.messages.length === 0) {
        throw invalid('messages', "'messages' must be a non-empty array");
    }
    const messages = b.messages.map((m: unknown, i: number) => {
        if (!m || typeof m !== 'object') throw invalid(`messages[${i}]`, `'messages[${i}]' must be an object`);
        const { role, content, ...rest } = m as Body;
        for (const k of Object.keys(rest)) if (rest[k] !== undefined) throw unsupported(`messages[${i}].${k}`);
        return { role, content: textContent(content, `messages[${i}].content`) };
    });
    return { model: model(b), ...streamFlags(b), inputs: { messages, ...sampling(b) } };
}

function textContent(content: unknown, param: string): unknown {
    if (!Array.isArray(content)) return content;
    return content
        .map((part: unknown, j) => {
            const p = part as Body;
            if (!p || p.type !== 'text' || typeof p.text !== 'string') {
                throw unsupported(`${param}[${j}]`, `is a '${String(p?.type)}' part; only 'text' parts are supported`);
            }
            return p.text;
        })
        .join('');
}

/** `POST /v1/completions`: one prompt string. */
export function parseCompletionRequest(raw: unknown): GenerationCall {
    const b = body(raw);
    onlyFields(b, COMPLETION_FIELDS);
    let prompt = b.prompt;
    if (Array.isArray(prompt)) {
        if (prompt.length !== 1 || typeof prompt[0] !== 'string') {
            throw unsupported('prompt', 'is supported as one string (or an array of exactly one string)');
        }
        prompt = prompt[0];
    }
    if (typeof prompt !== 'string') throw invalid('prompt', "'prompt' must be a string");
    return { model: model(b), ...streamFlags(b), inputs: { prompt, ...sampling(b) } };
}

export interface EmbeddingCall {
    model: string;
    input: string[];
    encoding: 'float' | 'base64';
}

/** `POST /v1/embeddings`: strings (token-id arrays are not supported). */
export function parseEmbeddingRequest(raw: unknown): EmbeddingCall {
    const b = body(raw);
    onlyFields(b, EMBEDDING_FIELDS);
    const input = typeof b.input === 'string' ? [b.input] : b.input;
    if (!Array.isArray(input) || input.length === 0) throw invalid('input', "'input' must be a string or strings");
    if (input.some((s) => typeof s !== 'string')) {
        throw unsupported('input', 'is supported as strings only (not token ids)');
    }
    const encoding = b.encoding_format ?? 'float';
    if (encoding !== 'float' && encoding !== 'base64') {
        throw invalid('encoding_format', "'encoding_format' must be 'float' or 'base64'");
    }
    return { model: model(b), input: input as string[], encoding };
}

export interface TranscriptionCall {
    model: string;
    wav: Buffer;
    format: 'json' | 'text';
}

/** `POST /v1/audio/transcriptions` (multipart): the file must be a 16 kHz mono WAV (the proxy says if not). */
export function parseTranscriptionRequest(fields: Record<string, string>, file: Buffer | null): TranscriptionCall {
    onlyFields(fields, TRANSCRIPTION_FIELDS);
    if (!file) throw invalid('file', "'file' is required (a 16 kHz mono WAV)");
    const format = fields.response_format ?? 'json';
    if (format !== 'json' && format !== 'text') {
        throw unsupported('response_format', "is supported as 'json' or 'text'");
    }
    if (fields.temperature !== undefined && Number(fields.temperature) !== 0) {
        throw unsupported('temperature', 'is supported only as 0 (transcription decodes greedily)');
    }
    return { model: model(fields), wav: file, format };
}
