/**
 * Metering of generative requests on the proxy's side (docs/inference.md, "Metering generative models"). The proxy
 * never takes the worker's word for usage where it can count itself:
 *
 * - prompt tokens: the proxy's own encoding of the messages (the model's chat template) or the prompt;
 * - completion tokens: the ids the worker streamed (the proxy checks that the text decodes from them);
 * - reasoning tokens: completion ids inside the model's think span (from its token ids), counted by the proxy;
 * - cached tokens: as the worker reports them, never more than the prompt (not verifiable: a worker could claim
 *   fewer, which only costs the client more at a cached multiplier below the prompt one, or more, which is capped);
 * - embeddings: the proxy's count of the input tokens; speech: ⌈audio seconds⌉ (from the sample count) as prompt
 *   units and the output ids as completion tokens.
 *
 * The kinds are disjoint when billed, as in OpenAI's usage object: cached tokens are part of the prompt and
 * reasoning tokens part of the completion, so the billed counts are {prompt − cached, cached, completion −
 * reasoning, reasoning}. Units are the vouchers' one rounding: ⌊Σ cumulative tokens × multiplier_bps / 10000⌋.
 */
import { TokenCounts, TokenMultipliersBps } from '../../../protocol/voucher';
import { GenerateInputs } from '../../worker/generative';

export type GenerativeTask = 'chat' | 'text-embedding' | 'speech-to-text';

/** What the proxy loads of a model: its tokenizer and template, never its weights. */
export interface TextProcessorLike {
    encodeChat(messages: readonly { role: string; content: string }[]): number[];
    encode(text: string): number[];
    decode(ids: readonly number[]): string;
    /** Completion ids inside the model's think span (a span the prompt opened counts from the first id). */
    countReasoningTokens(promptIds: readonly number[], completionIds: readonly number[]): number;
}

export interface GenerativeModelInfo {
    task: GenerativeTask;
    /** Prompt + completion tokens the model takes (chat); the longest input (embeddings). */
    contextLength: number;
    /** Tokenizer and template; absent for speech models (their ids are billed as streamed). */
    processor?: TextProcessorLike;
}

/** The usage the proxy reports: totals as OpenAI counts them (cached ⊂ prompt, reasoning ⊂ completion). */
export interface MeteredUsage {
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    reasoningTokens: number;
}

export function promptTokenIds(model: GenerativeModelInfo, inputs: GenerateInputs): number[] {
    if (!model.processor) throw new Error('a chat model needs its text processor on the proxy');
    return inputs.messages ? model.processor.encodeChat(inputs.messages) : model.processor.encode(inputs.prompt ?? '');
}

/** Reasoning tokens of a completion, counted by the proxy with the model's think span (config.json's ids). */
export function reasoningTokens(
    model: GenerativeModelInfo,
    promptIds: readonly number[],
    ids: readonly number[],
): number {
    return model.processor ? model.processor.countReasoningTokens(promptIds, ids) : 0;
}

/** The billed token kinds of a usage (disjoint, see above). */
export function billedCounts(u: MeteredUsage): TokenCounts {
    const cached = Math.min(u.cachedTokens, u.promptTokens);
    const reasoning = Math.min(u.reasoningTokens, u.completionTokens);
    return {
        prompt: BigInt(u.promptTokens - cached),
        cached: BigInt(cached),
        completion: BigInt(u.completionTokens - reasoning),
        reasoning: BigInt(reasoning),
    };
}

/**
 * The most a chat request can cost, in billing units, rounded up: prompt + max_tokens at the dearest multiplier a
 * token of it could be billed at (the completion one, with the default parameters).
 */
export function maxChatUnits(promptTokens: number, maxTokens: number, m: TokenMultipliersBps): bigint {
    const dearest = [m.prompt, m.completion, m.reasoning].reduce((a, b) => (a > b ? a : b));
    return ceilUnits(BigInt(promptTokens + maxTokens) * dearest);
}

/** Billing units of one request's counts, rounded up (for reservations only; charges use the cumulative rounding). */
export function maxUnitsOf(counts: TokenCounts, m: TokenMultipliersBps): bigint {
    return ceilUnits(
        counts.prompt * m.prompt +
            counts.cached * m.cached +
            counts.completion * m.completion +
            counts.reasoning * m.reasoning,
    );
}

function ceilUnits(weighted: bigint): bigint {
    return (weighted + 9999n) / 10000n;
}

/** Adds two token counts. */
export function addCounts(a: TokenCounts, b: TokenCounts): TokenCounts {
    return {
        prompt: a.prompt + b.prompt,
        cached: a.cached + b.cached,
        completion: a.completion + b.completion,
        reasoning: a.reasoning + b.reasoning,
    };
}

export function subCounts(a: TokenCounts, b: TokenCounts): TokenCounts {
    return {
        prompt: a.prompt - b.prompt,
        cached: a.cached - b.cached,
        completion: a.completion - b.completion,
        reasoning: a.reasoning - b.reasoning,
    };
}
