/**
 * Metering: how one run of a model becomes billable tokens. The proxy computes it from the request's inputs and the
 * result's outputs (never from a worker's claim), so the rule depends only on the JSON tensors and the model's kind
 * (the registry lists each model hash with its kind).
 *
 *   tokens = perRequest
 *          + perBatchRow   × (first dimension of the first input; 1 for a scalar)
 *          + ⌈input elements  / inputElementsPerToken⌉    (when set)
 *          + ⌈output elements / outputElementsPerToken⌉   (when set)
 *          + non-padding ids in the text input            (when set: tokens for text models)
 *
 * See docs/inference.md for the table and worked examples.
 */
import { InvalidInputError } from './errors';
import { JsonTensorMap } from './types';

// Append only: a kind's registry code is 1 + its index here (chat = 5, speech-to-text = 6).
export const MODEL_KINDS = ['classifier', 'text-embedding', 'audio-vad', 'generic', 'chat', 'speech-to-text'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/**
 * The kinds served tensor-in/tensor-out and metered by the rules below. `text-embedding` is both: a single `.onnx`
 * file is a tensor model; a folder is served by the embedding engine and billed by the input tokens it read. `chat`
 * and `speech-to-text` are folders only, metered by token type (prompt, cached, completion, reasoning; audio seconds).
 */
export const TENSOR_MODEL_KINDS = ['classifier', 'text-embedding', 'audio-vad', 'generic'] as const;
export type TensorModelKind = (typeof TENSOR_MODEL_KINDS)[number];

export interface MeteringRule {
    perRequest: number;
    perBatchRow?: number;
    /** One token per this many input elements (all inputs, or only `inputName` when given), rounded up. */
    inputElementsPerToken?: number;
    inputName?: string;
    /** One token per this many output elements, rounded up. */
    outputElementsPerToken?: number;
    /** Text models: one token per id in this int64 input that is not the padding id. */
    textTokens?: { input: string; paddingId: string };
}

export const METERING_RULES: Readonly<Record<TensorModelKind, MeteringRule>> = {
    // A classification is one unit per row scored, plus a flat request fee.
    classifier: { perRequest: 1, perBatchRow: 1 },
    // An embedding is billed like text: the tokens it read.
    'text-embedding': { perRequest: 1, textTokens: { input: 'token_ids', paddingId: '0' } },
    // Voice activity: one token per window of audio (512 new samples + 64 of context: 32 ms at 16 kHz); the recurrent
    // state and the sample rate are free.
    'audio-vad': { perRequest: 1, inputElementsPerToken: 576, inputName: 'input' },
    // Anything else: by the volume of data in and out.
    generic: { perRequest: 1, inputElementsPerToken: 1024, outputElementsPerToken: 1024 },
};

export function isModelKind(v: unknown): v is ModelKind {
    return typeof v === 'string' && (MODEL_KINDS as readonly string[]).includes(v);
}

function elements(dims: readonly number[]): number {
    return dims.reduce((a, b) => a * b, 1);
}

/** Applies `rule` to one run. Inputs and outputs are the JSON tensors the client sent and received. */
export function applyMeteringRule(rule: MeteringRule, inputs: JsonTensorMap, outputs: JsonTensorMap): number {
    let tokens = rule.perRequest;
    const inputList = Object.values(inputs);
    if (rule.perBatchRow) {
        const first = inputList[0];
        tokens += rule.perBatchRow * (first && first.dims.length > 0 ? first.dims[0] : 1);
    }
    if (rule.inputElementsPerToken) {
        const counted = rule.inputName ? [inputs[rule.inputName]].filter(Boolean) : inputList;
        const n = counted.reduce((sum, t) => sum + elements(t.dims), 0);
        tokens += Math.ceil(n / rule.inputElementsPerToken);
    }
    if (rule.outputElementsPerToken) {
        const n = Object.values(outputs).reduce((sum, t) => sum + elements(t.dims), 0);
        tokens += Math.ceil(n / rule.outputElementsPerToken);
    }
    if (rule.textTokens) {
        const ids = inputs[rule.textTokens.input];
        if (ids) tokens += ids.data.filter((v) => String(v) !== rule.textTokens!.paddingId).length;
    }
    return tokens;
}

export function isTensorModelKind(v: unknown): v is TensorModelKind {
    return typeof v === 'string' && (TENSOR_MODEL_KINDS as readonly string[]).includes(v);
}

/** Tokens for one run of a tensor model of this kind; generative kinds are metered by token type instead. */
export function meter(kind: ModelKind, inputs: JsonTensorMap, outputs: JsonTensorMap): number {
    if (!isTensorModelKind(kind)) {
        throw new InvalidInputError(`model kind ${kind} is metered by token type, not by tensors`);
    }
    return applyMeteringRule(METERING_RULES[kind], inputs, outputs);
}
