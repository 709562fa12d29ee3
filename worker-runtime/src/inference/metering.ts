/**
 * Metering: how one run of a model becomes billable tokens. The proxy computes it from the request's inputs and the
 * result's outputs (never from a worker's claim), so the rule depends only on the tensors and the model's kind
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
import { decodeData } from './codec';
import { InvalidInputError } from './errors';
import { ElementType, TensorSpec } from './types';

/** A tensor as metering reads it: JSON or wire form (only dims, and the ids of a text input, are read). */
export interface MeteredTensor {
    type: ElementType;
    dims: number[];
    data: unknown;
}
export type MeteredTensorMap = Record<string, MeteredTensor>;

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
export function applyMeteringRule(rule: MeteringRule, inputs: MeteredTensorMap, outputs: MeteredTensorMap): number {
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
        if (ids) {
            const values =
                typeof ids.data === 'string' ? decodeData('ids', ids.type, ids.data) : (ids.data as unknown[]);
            const padding = rule.textTokens.paddingId;
            tokens += Array.prototype.filter.call(values, (v: unknown) => String(v) !== padding).length;
        }
    }
    return tokens;
}

export function isTensorModelKind(v: unknown): v is TensorModelKind {
    return typeof v === 'string' && (TENSOR_MODEL_KINDS as readonly string[]).includes(v);
}

/** The tensor model kind's rule; generative kinds are metered by token type instead. */
function ruleOf(kind: ModelKind): MeteringRule {
    if (!isTensorModelKind(kind)) {
        throw new InvalidInputError(`model kind ${kind} is metered by token type, not by tensors`);
    }
    return METERING_RULES[kind];
}

/** Tokens for one run of a tensor model of this kind. */
export function meter(kind: ModelKind, inputs: MeteredTensorMap, outputs: MeteredTensorMap): number {
    return applyMeteringRule(ruleOf(kind), inputs, outputs);
}

/**
 * The most tokens one run can cost, known before it runs: the rule applied to the request's inputs and to outputs of
 * the largest shapes the model declares. A symbolic output dimension takes the size the inputs gave that symbol; one
 * the inputs do not fix counts as `maxOutputElements` elements for its tensor. The proxy reserves this much of the
 * client's balance before dispatch and never charges more than it.
 */
export function maxTokens(
    kind: ModelKind,
    inputSpecs: readonly TensorSpec[],
    inputs: MeteredTensorMap,
    outputSpecs: readonly TensorSpec[],
    maxOutputElements: number,
): number {
    const rule = ruleOf(kind);
    const symbols = new Map<string, number>();
    for (const spec of inputSpecs) {
        const t = inputs[spec.name];
        spec.dims.forEach((d, axis) => {
            if (typeof d === 'string' && d !== '' && t) symbols.set(d, t.dims[axis]);
        });
    }
    const outputs: MeteredTensorMap = {};
    for (const spec of outputSpecs) {
        const dims = spec.dims.map((d) =>
            typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? (symbols.get(d) ?? -1) : -1,
        );
        const bounded = dims.every((d) => d >= 0) ? dims : [maxOutputElements];
        outputs[spec.name] = { type: 'float32', dims: bounded, data: null };
    }
    return applyMeteringRule(rule, inputs, outputs);
}
