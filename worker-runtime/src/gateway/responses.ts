/**
 * The proxy's answers out as OpenAI objects. Usage follows OpenAI's fields; `cost_nanoton` (what the request added
 * to the account's voucher, in nanoTON, as a decimal string) is Chrysalis's extension, and `chrysalis` carries the
 * request id, the worker's key, the billed units and the finish reason when it has no OpenAI name (and, for a
 * transcription, whose OpenAI usage is a duration, the billed tokens in OpenAI's usage shape).
 */
import type { EmbedResponse, ProxyModel, TranscribeResponse } from '../client/generativeCalls';
import type { BillingJson, GenerateResponse } from '../roles/proxy/generative/service';

export interface OpenAIUsage {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number };
    completion_tokens_details: { reasoning_tokens: number };
    /** Chrysalis extension: the request's cost in nanoTON (decimal string). */
    cost_nanoton: string;
}

export function usageOf(b: BillingJson): OpenAIUsage {
    const u = b.usage;
    return {
        prompt_tokens: u.promptTokens,
        completion_tokens: u.completionTokens,
        total_tokens: u.totalTokens,
        prompt_tokens_details: { cached_tokens: u.cachedTokens },
        completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
        cost_nanoton: b.costNanoton,
    };
}

/** `stop` and `length` are OpenAI's; a cancelled or timed-out generation is reported as `stop` (see `chrysalis`). */
export function finishReason(r: GenerateResponse['finishReason']): 'stop' | 'length' {
    return r === 'length' ? 'length' : 'stop';
}

function extension(r: { requestId: string; workerKey: string; units: string }, finish?: string) {
    return {
        request_id: r.requestId,
        worker_key: r.workerKey,
        units: r.units,
        ...(finish ? { finish_reason: finish } : {}),
    };
}

export const completionId = (prefix: string, requestId: string) => `${prefix}-${requestId.slice(0, 24)}`;
const now = () => Math.floor(Date.now() / 1000);

export function chatCompletion(modelId: string, r: GenerateResponse) {
    return {
        id: completionId('chatcmpl', r.requestId),
        object: 'chat.completion',
        created: now(),
        model: modelId,
        choices: [
            {
                index: 0,
                message: { role: 'assistant', content: r.text, refusal: null },
                logprobs: null,
                finish_reason: finishReason(r.finishReason),
            },
        ],
        usage: usageOf(r),
        chrysalis: extension(r, r.finishReason),
    };
}

export function textCompletion(modelId: string, r: GenerateResponse) {
    return {
        id: completionId('cmpl', r.requestId),
        object: 'text_completion',
        created: now(),
        model: modelId,
        choices: [{ index: 0, text: r.text, logprobs: null, finish_reason: finishReason(r.finishReason) }],
        usage: usageOf(r),
        chrysalis: extension(r, r.finishReason),
    };
}

/** The chunks of a streamed chat completion (`chat.completion.chunk`) or completion (`text_completion`). */
export class ChunkWriter {
    private readonly created = now();
    private first = true;
    constructor(
        private readonly chat: boolean,
        private readonly modelId: string,
        private readonly id: string,
    ) {}

    private chunk(choices: unknown[], extra: Record<string, unknown> = {}) {
        return {
            id: this.id,
            object: this.chat ? 'chat.completion.chunk' : 'text_completion',
            created: this.created,
            model: this.modelId,
            choices,
            ...extra,
        };
    }

    delta(text: string) {
        if (!this.chat) return this.chunk([{ index: 0, text, logprobs: null, finish_reason: null }]);
        const delta = this.first ? { role: 'assistant', content: text } : { content: text };
        this.first = false;
        return this.chunk([{ index: 0, delta, logprobs: null, finish_reason: null }]);
    }

    finish(r: GenerateResponse) {
        const reason = finishReason(r.finishReason);
        const choice = this.chat
            ? {
                  index: 0,
                  delta: this.first ? { role: 'assistant', content: '' } : {},
                  logprobs: null,
                  finish_reason: reason,
              }
            : { index: 0, text: '', logprobs: null, finish_reason: reason };
        return this.chunk([choice], { chrysalis: extension(r, r.finishReason) });
    }

    /** The extra chunk of `stream_options.include_usage`: empty choices, the usage. */
    usage(r: GenerateResponse) {
        return this.chunk([], { usage: usageOf(r) });
    }
}

export function embeddingList(modelId: string, r: EmbedResponse, encoding: 'float' | 'base64') {
    return {
        object: 'list',
        model: modelId,
        data: r.embeddings.map((e, index) => ({
            object: 'embedding',
            index,
            embedding: encoding === 'base64' ? Buffer.from(new Float32Array(e).buffer).toString('base64') : e,
        })),
        usage: {
            prompt_tokens: r.usage.promptTokens,
            total_tokens: r.usage.promptTokens,
            cost_nanoton: r.costNanoton,
        },
        chrysalis: extension(r),
    };
}

export function transcription(r: TranscribeResponse) {
    return {
        text: r.text,
        usage: { type: 'duration', seconds: r.audioSeconds, cost_nanoton: r.costNanoton },
        // OpenAI's duration usage has no token counts; the tokens billed (audio as prompt, text as completion) are here.
        chrysalis: { ...extension(r), usage: usageOf(r) },
    };
}

/** A model as `GET /v1/models` lists it; `id` is the model's name at the proxy (its hash is accepted too). */
export function modelObject(m: ProxyModel) {
    return {
        id: m.name,
        object: 'model',
        created: 0,
        owned_by: 'chrysalis',
        chrysalis: {
            hash: m.hash,
            task: m.task,
            context_length: m.contextLength,
            pricing: m.pricing,
        },
    };
}
