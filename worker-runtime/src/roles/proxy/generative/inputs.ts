/**
 * Shape checks of the generative endpoints' signed `inputs` (docs/proxy.md, "Generative endpoints"). Each problem
 * is refused with its own named 400 error before anything is reserved or queued. Checks that need the model's
 * tokenizer (prompt length against the context) are in the service.
 */
import { GenerateInputs } from '../../worker/generative';
import { refuse } from '../errors';
import { DecodedWav, parseWav, WavFormatError, WavLayoutError } from '../../../inference/generative/wav';

export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool', 'developer'] as const;
export const MAX_STOP_STRINGS = 4;
export const MAX_STOP_LENGTH = 64;
/** Longest `timeout_ms` a generation may ask for (one hour). */
export const MAX_TIMEOUT_MS = 3_600_000;

export function parseGenerateInputs(raw: Record<string, unknown>): GenerateInputs {
    const known = new Set([
        'messages',
        'prompt',
        'max_tokens',
        'temperature',
        'top_p',
        'top_k',
        'seed',
        'stop',
        'stream',
        'timeout_ms',
    ]);
    const unknown = Object.keys(raw).filter((k) => !known.has(k));
    if (unknown.length > 0) refuse('bad_request', `unknown field(s) in inputs: ${unknown.join(', ')}`);
    const out: GenerateInputs = { max_tokens: 0 };
    if (raw.messages !== undefined && raw.prompt !== undefined) {
        refuse('bad_messages', 'give either messages or prompt, not both');
    }
    if (raw.messages !== undefined) {
        if (!Array.isArray(raw.messages)) refuse('bad_messages', 'messages must be an array of {role, content}');
        if (raw.messages.length === 0) refuse('bad_messages', 'messages must not be empty');
        out.messages = raw.messages.map((m: unknown, i: number) => {
            const msg = m as { role?: unknown; content?: unknown } | null;
            if (typeof msg !== 'object' || msg === null) refuse('bad_messages', `messages[${i}] is not an object`);
            if (typeof msg.role !== 'string' || !(CHAT_ROLES as readonly string[]).includes(msg.role)) {
                refuse('bad_messages', `messages[${i}].role must be one of ${CHAT_ROLES.join(', ')}`);
            }
            if (typeof msg.content !== 'string') refuse('bad_messages', `messages[${i}].content must be a string`);
            return { role: msg.role, content: msg.content };
        });
    } else if (typeof raw.prompt === 'string') {
        out.prompt = raw.prompt;
    } else {
        refuse(
            raw.prompt === undefined ? 'bad_messages' : 'bad_prompt',
            'give messages (an array) or a prompt (a string)',
        );
    }
    if (typeof raw.max_tokens !== 'number' || !Number.isInteger(raw.max_tokens) || raw.max_tokens < 1) {
        refuse('bad_max_tokens', 'max_tokens must be an integer ≥ 1');
    }
    out.max_tokens = raw.max_tokens;
    if (raw.temperature !== undefined) {
        if (typeof raw.temperature !== 'number' || !Number.isFinite(raw.temperature) || raw.temperature < 0) {
            refuse('bad_temperature', 'temperature must be a number ≥ 0 (0 = greedy)');
        }
        out.temperature = raw.temperature;
    }
    if (raw.top_p !== undefined) {
        if (typeof raw.top_p !== 'number' || !(raw.top_p > 0 && raw.top_p <= 1)) {
            refuse('bad_top_p', 'top_p must be in (0, 1]');
        }
        out.top_p = raw.top_p;
    }
    if (raw.top_k !== undefined) {
        if (typeof raw.top_k !== 'number' || !Number.isInteger(raw.top_k) || raw.top_k < 0) {
            refuse('bad_top_k', 'top_k must be an integer ≥ 0 (0 = off)');
        }
        out.top_k = raw.top_k;
    }
    if (raw.seed !== undefined) {
        if (typeof raw.seed !== 'number' || !Number.isInteger(raw.seed) || raw.seed < 0 || raw.seed > 0xffffffff) {
            refuse('bad_seed', 'seed must be an integer in [0, 2^32)');
        }
        out.seed = raw.seed;
    }
    if (raw.stop !== undefined) {
        const stop = typeof raw.stop === 'string' ? [raw.stop] : raw.stop;
        if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s.length === 0)) {
            refuse('bad_stop', 'stop must be a non-empty string or an array of them');
        }
        if (stop.length > MAX_STOP_STRINGS) refuse('bad_stop', `at most ${MAX_STOP_STRINGS} stop strings`);
        const long = stop.find((s: string) => s.length > MAX_STOP_LENGTH);
        if (long !== undefined) refuse('bad_stop', `a stop string is at most ${MAX_STOP_LENGTH} characters`);
        out.stop = stop as string[];
    }
    if (raw.stream !== undefined) {
        if (typeof raw.stream !== 'boolean') refuse('bad_stream', 'stream must be true or false');
        out.stream = raw.stream;
    }
    if (raw.timeout_ms !== undefined) {
        const t = raw.timeout_ms;
        if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_TIMEOUT_MS) {
            refuse('bad_timeout', `timeout_ms must be an integer in [1, ${MAX_TIMEOUT_MS}]`);
        }
        out.timeout_ms = t;
    }
    return out;
}

export function parseEmbedInputs(raw: Record<string, unknown>, maxInputs: number): { input: string[] } {
    const input = typeof raw.input === 'string' ? [raw.input] : raw.input;
    if (!Array.isArray(input) || input.length === 0 || input.some((s) => typeof s !== 'string')) {
        refuse('bad_embed_input', 'input must be a string or a non-empty array of strings');
    }
    if (input.length > maxInputs) refuse('bad_embed_input', `at most ${maxInputs} inputs per request`);
    const unknown = Object.keys(raw).filter((k) => k !== 'input');
    if (unknown.length > 0) refuse('bad_request', `unknown field(s) in inputs: ${unknown.join(', ')}`);
    return { input: input as string[] };
}

export interface ParsedAudio {
    pcm: Float32Array;
    durationS: number;
}

export function parseTranscribeInputs(
    raw: Record<string, unknown>,
    maxAudioSeconds: number,
): { inputs: { audio: string; max_tokens?: number }; audio: ParsedAudio } {
    if (typeof raw.audio !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw.audio) || raw.audio.length % 4 !== 0) {
        refuse('bad_audio', 'audio must be a WAV file as base64');
    }
    if (
        raw.max_tokens !== undefined &&
        (typeof raw.max_tokens !== 'number' || !Number.isInteger(raw.max_tokens) || raw.max_tokens < 1)
    ) {
        refuse('bad_max_tokens', 'max_tokens must be an integer ≥ 1');
    }
    const unknown = Object.keys(raw).filter((k) => k !== 'audio' && k !== 'max_tokens');
    if (unknown.length > 0) refuse('bad_request', `unknown field(s) in inputs: ${unknown.join(', ')}`);
    const audio = readAudio(Buffer.from(raw.audio, 'base64'), maxAudioSeconds);
    return {
        inputs: { audio: raw.audio, ...(raw.max_tokens !== undefined ? { max_tokens: raw.max_tokens as number } : {}) },
        audio,
    };
}

/**
 * The engines' WAV reader (16 kHz mono, 16-bit PCM or 32-bit float), its errors answered by name: the proxy bills
 * audio seconds, which it computes itself from the sample count.
 */
function readAudio(bytes: Buffer, maxAudioSeconds: number): ParsedAudio {
    let wav: DecodedWav;
    try {
        wav = parseWav(bytes);
    } catch (err) {
        if (err instanceof WavLayoutError) refuse('audio_not_16khz_mono', err.message);
        if (err instanceof WavFormatError) refuse('bad_audio', err.message);
        throw err;
    }
    if (wav.durationS > maxAudioSeconds)
        refuse('audio_too_long', `audio is ${wav.durationS.toFixed(1)} s; at most ${maxAudioSeconds} s`);
    if (wav.pcm.length === 0) refuse('bad_audio', 'the WAV file holds no samples');
    return { pcm: wav.pcm, durationS: wav.durationS };
}
