/**
 * Client side of the generative endpoints: a signed request (the same three signing headers as /v1/infer,
 * protocol/request.ts, over the body whose `inputs` the endpoint takes) and a reader of the Server-Sent Events of a streamed `POST /v1/generate`.
 */
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { hashJson } from '../protocol/canonical';
import { FinishReason, generationOutputHash, generationSummary, GenerationUsage } from '../protocol/generation';
import { Receipt, verifyReceipt } from '../protocol/receipt';
import { InferenceRequest, SignedRequest, signRequest } from '../protocol/request';
import { requestIdToUint256 } from '../roles/worker/jobProcessor';
import { Check, ReceiptLike, verifyReceiptOver } from './verify';

export function signedGenerativeRequest(args: {
    model: string;
    inputs: Record<string, unknown>;
    account: string;
    secretKey: Buffer;
    requestId?: string;
    validUntil?: number;
}): SignedRequest & { requestId: string } {
    const request: InferenceRequest = {
        requestId: args.requestId ?? randomBytes(32).toString('hex'),
        model: args.model,
        inputs: args.inputs,
        account: args.account,
        validUntil: args.validUntil ?? Math.floor(Date.now() / 1000) + 300,
    };
    return { ...signRequest(request, args.secretKey), requestId: request.requestId.toLowerCase() };
}

export interface SseEvent {
    event: string;
    data: unknown;
}

/** Parses `event:`/`data:` blocks of an SSE body as they arrive. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const part of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(part, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
                if (line.startsWith('event:')) event = line.slice(6).trim();
                else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            }
            if (data.length > 0) yield { event, data: JSON.parse(data.join('\n')) };
        }
    }
}

/**
 * Checks a generation's receipt as a client can: recomputes the request hash from the inputs it signed and the
 * output hash from the ids, text, finish reason and usage it received, and verifies the worker's signature.
 */
export function generationReceiptValid(args: {
    requestId: string;
    model: string;
    /** The registry of the network the client pays on (the receipt is bound to it). */
    registry: Address | string;
    inputs: unknown;
    completionTokenIds: number[];
    text: string;
    finishReason: FinishReason;
    usage: GenerationUsage;
    receipt: { signature: string; workerKey: string };
}): boolean {
    const summary = generationSummary({
        promptTokens: args.usage.promptTokens,
        completionTokenIds: args.completionTokenIds,
        text: args.text,
        finishReason: args.finishReason,
        usage: args.usage,
    });
    const receipt: Receipt = {
        requestId: requestIdToUint256(args.requestId),
        modelHash: BigInt('0x' + args.model),
        registry: typeof args.registry === 'string' ? Address.parse(args.registry) : args.registry,
        inputHash: hashJson(args.inputs),
        outputHash: generationOutputHash(summary),
    };
    return verifyReceipt(
        receipt,
        Buffer.from(args.receipt.signature, 'hex'),
        Buffer.from(args.receipt.workerKey, 'hex'),
    );
}

/** What a client recomputes a generation's receipt from (a JSON answer, or a stream's deltas plus its `done`). */
export interface GenerationAnswer {
    completionTokenIds: number[];
    text: string;
    finishReason: FinishReason;
    usage: GenerationUsage;
    receipt: ReceiptLike;
}

/** The receipt of a generation names this request and covers exactly the ids, text, finish reason and usage received. */
export function verifyGenerationAnswer(sent: SentRequest, answer: GenerationAnswer, registry: Address): Check {
    const summary = generationSummary({
        promptTokens: answer.usage.promptTokens,
        completionTokenIds: answer.completionTokenIds,
        text: answer.text,
        finishReason: answer.finishReason,
        usage: answer.usage,
    });
    return verifyReceiptOver(answer.receipt, sent, generationOutputHash(summary), registry);
}

/** An embedding's receipt covers `{embeddings, promptTokens}` as the worker computed them. */
export function verifyEmbedAnswer(
    sent: SentRequest,
    answer: { embeddings: number[][]; usage: { promptTokens: number }; receipt: ReceiptLike },
    registry: Address,
): Check {
    const outputs = { embeddings: answer.embeddings, promptTokens: answer.usage.promptTokens };
    return verifyReceiptOver(answer.receipt, sent, hashJson(outputs), registry);
}

/** A transcription's receipt covers `{tokenIds, text, durationS}`. */
export function verifyTranscribeAnswer(
    sent: SentRequest,
    answer: { tokenIds: number[]; text: string; durationS: number; receipt: ReceiptLike },
    registry: Address,
): Check {
    const outputs = { tokenIds: answer.tokenIds, text: answer.text, durationS: answer.durationS };
    return verifyReceiptOver(answer.receipt, sent, hashJson(outputs), registry);
}

type SentRequest = { requestId: string; model: string; inputs: unknown };
