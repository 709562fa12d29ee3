/** Shapes of the proxy's generative answers as the SDK hands them on, and the reader of a generation's SSE stream. */
import type { BillingJson, DeltaJson, GenerateError, GenerateResponse } from '../roles/proxy/generative/service';
import type { ReceiptJson } from '../roles/proxy/workers';
import { readSse } from './generative';

/** One entry of the proxy's `GET /v1/models`. */
export interface ProxyModel {
    hash: string;
    name: string;
    kind: string;
    task: 'chat' | 'text-embedding' | 'speech-to-text' | 'tensor';
    contextLength: number | null;
    inputs: unknown[];
    outputs: unknown[];
    pricing: {
        unitPriceNanoton: string;
        multipliersBps: Record<'prompt' | 'cached' | 'completion' | 'reasoning', number>;
        nanotonPerMillionTokens: Record<string, string>;
    };
}

export interface EmbedResponse extends BillingJson {
    requestId: string;
    model: string;
    embeddings: number[][];
    receipt: ReceiptJson;
    workerKey: string;
}

export interface TranscribeResponse extends BillingJson {
    requestId: string;
    model: string;
    text: string;
    tokenIds: number[];
    durationS: number;
    audioSeconds: number;
    receipt: ReceiptJson;
    workerKey: string;
}

export type GenerationEvent = { requestId: string } & (
    | { type: 'delta'; delta: DeltaJson }
    /** The last event of a served stream: the answer, with the text and ids of every delta. */
    | { type: 'done'; response: GenerateResponse }
    | { type: 'error'; error: GenerateError }
);

/** Reads `/v1/generate`'s SSE: deltas, then `done` (completed with the text and ids received) or `error`. */
export async function* readGenerationStream(
    requestId: string,
    body: ReadableStream<Uint8Array>,
): AsyncGenerator<GenerationEvent> {
    let text = '';
    const ids: number[] = [];
    for await (const { event, data } of readSse(body)) {
        if (event === 'delta') {
            const delta = data as DeltaJson;
            text += delta.text;
            ids.push(...delta.tokenIds);
            yield { requestId, type: 'delta', delta };
        } else if (event === 'done') {
            const rest = data as Omit<GenerateResponse, 'text'>;
            // The receipt is checked over what was streamed, not over what the last event claims.
            yield { requestId, type: 'done', response: { ...rest, text, completionTokenIds: ids } };
            return;
        } else if (event === 'error') {
            yield { requestId, type: 'error', error: data as GenerateError };
            return;
        }
    }
    yield {
        requestId,
        type: 'error',
        error: { error: 'stream_cut', message: 'the proxy closed the stream before its end' },
    };
}
