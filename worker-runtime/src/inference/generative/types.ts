/** The request and result shapes of the generative engines (stable: the proxy and the queue build on them). */
import { ChatMessage } from './textProcessor';

export type FinishReason = 'stop' | 'length' | 'cancelled' | 'deadline';

export interface GenerateRequest {
    /** Chat messages, rendered with the model's chat template; or give `prompt` (plain text, default special tokens). */
    messages?: ChatMessage[];
    prompt?: string;
    /** Most completion tokens to generate (≥ 1); generation also stops at the model's context length. */
    maxTokens: number;
    /** 0 or absent: greedy. */
    temperature?: number;
    topP?: number;
    topK?: number;
    /** Seeds this request's sampler; absent: derived from `requestId` (else from the prompt ids). */
    seed?: number;
    /** The request's id; seeds the sampler when `seed` is absent, so a repeat of one request samples the same. */
    requestId?: string;
    /** At most 4 strings; the text stops before the first one found, which is never streamed. */
    stop?: string[];
    /** Ids that end generation besides the model's end-of-sequence ids. */
    stopTokenIds?: number[];
    /** Absolute time (Date.now() milliseconds) after which generation stops at the next step ('deadline'). */
    deadlineMs?: number;
    /** Aborting stops generation at the next step ('cancelled'). */
    signal?: AbortSignal;
}

export interface TokenEvent {
    /** 0-based position of the token in the completion. */
    index: number;
    tokenId: number;
    /**
     * New complete text: UTF-8-safe (a partly decoded character is held back) and never part of a stop string.
     * The concatenated deltas are always a prefix of the result's `text`; they equal it when the finish reason is
     * 'stop' or 'length'. After 'cancelled' or 'deadline' a held-back tail may remain: `text.slice(streamed.length)`.
     */
    textDelta: string;
}

export interface GenerateUsage {
    promptTokens: number;
    /** Prompt tokens whose keys and values came from the prefix cache (a subset of promptTokens). */
    cachedTokens: number;
    /** Every sampled token, including an end-of-sequence or stop token. */
    completionTokens: number;
    /** Completion tokens inside the think span (0 for models without one). */
    reasoningTokens: number;
}

export interface GenerateResult {
    promptTokenIds: number[];
    completionTokenIds: number[];
    /** The completion decoded without special tokens, cut before a stop string. */
    text: string;
    finishReason: FinishReason;
    usage: GenerateUsage;
}

export type OnToken = (event: TokenEvent) => void;

export interface EmbedResult {
    /** One L2-normalised, mean-pooled vector per input. */
    embeddings: number[][];
    /** Tokens read, special tokens included (what embeddings are billed by). */
    promptTokens: number;
}

export interface TranscribeOptions {
    /** Most tokens per 30 s window (default: the model's limit). */
    maxTokens?: number;
}

export interface TranscribeResult {
    /** Generated ids of every window, without the decoder prompts, in order. */
    tokenIds: number[];
    text: string;
    /** Length of the audio in seconds. */
    durationS: number;
}
