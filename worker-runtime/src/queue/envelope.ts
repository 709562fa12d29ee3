import { open, seal } from '../crypto';
import { InvalidInputError, SealedPayloadError } from '../errors';
import { validateRequestId } from './naming';

/**
 * What travels through Redis. Only the request id and the model hash are in clear (BullMQ needs the id as job id,
 * and both are bound into the AAD); the request itself — inputs and any metadata — and the result are sealed with
 * the queue key (AES-256-GCM, see crypto/aead.ts). The AAD
 *
 *   "chrysalis/queue/v1/<kind>" ‖ 0x00 ‖ modelHash ‖ 0x00 ‖ requestId        kind ∈ {job, result, error}
 *
 * ties each ciphertext to one request of one model and one direction, so Redis (untrusted) can neither move a
 * ciphertext to another request or queue, nor replay a job as a result.
 */

/** The plaintext of a job: everything in it is sealed. `inputs` and `meta` must be JSON-serialisable. */
export interface JobRequest<I = unknown> {
    requestId: string;
    inputs: I;
    meta?: Record<string, unknown>;
    /**
     * The producer has not queued this request id before (the proxy's first attempt of a new request): a worker
     * taking the job for the first time need not look for a result stored by an earlier delivery. Only a hint: were
     * one stored after all, the worker's store keeps the first result and hands that back (ledger.ts).
     */
    fresh?: boolean;
}

/** The BullMQ job data as stored in Redis. */
export interface SealedJobData {
    v: 1;
    requestId: string;
    modelHash: string;
    /** base64 of seal(queueKey, JSON(JobRequest), aad(job)) */
    sealed: string;
}

/** A processor's failure as the producer sees it after opening the sealed failure reason. */
export interface FailureDescription {
    name: string;
    message: string;
    permanent: boolean;
}

type SealKind = 'job' | 'result' | 'error';

/**
 * What a worker returns to BullMQ for a completed job: the sealed result itself lives only in the result record
 * (ledger.ts), which the producer deletes once delivered, so neither the job hash nor the queue's event stream keeps
 * a copy of a large result.
 */
export const STORED_RESULT = 'stored-result:v1';

/**
 * What a worker returns to BullMQ for a job whose processor answered through a channel of its own (a chat's chunk
 * stream, whose final chunk carries the receipt): no result record is written, since nobody would read it.
 */
export const STREAMED_RESULT = 'streamed-result:v1';

/** Failed jobs carry this marker before the base64 ciphertext in BullMQ's `failedReason`. */
export const SEALED_FAILURE_MARKER = 'sealed-failure:v1:';

export function sealingAad(kind: SealKind, modelHash: string, requestId: string): Buffer {
    return Buffer.from(`chrysalis/queue/v1/${kind}\0${modelHash}\0${requestId}`, 'utf8');
}

export function sealJob(queueKey: Uint8Array, modelHash: string, request: JobRequest): SealedJobData {
    const requestId = validateRequestId(request.requestId);
    const plaintext = Buffer.from(JSON.stringify(request), 'utf8');
    const sealed = seal(queueKey, plaintext, sealingAad('job', modelHash, requestId));
    return { v: 1, requestId, modelHash, sealed: sealed.toString('base64') };
}

/**
 * Opens a job's data; `jobId` and `modelHash` are what the consumer knows independently (the BullMQ job id and the
 * queue it listens on), so a ciphertext moved to another job or queue fails authentication.
 */
export function openJob(queueKey: Uint8Array, modelHash: string, jobId: string, data: unknown): JobRequest {
    const envelope = data as Partial<SealedJobData> | null;
    if (!envelope || envelope.v !== 1 || typeof envelope.sealed !== 'string') {
        throw new SealedPayloadError(`job ${jobId} does not carry a sealed v1 payload`);
    }
    const plaintext = open(queueKey, Buffer.from(envelope.sealed, 'base64'), sealingAad('job', modelHash, jobId));
    const request = parseJson(plaintext, `job ${jobId}`) as JobRequest;
    if (request === null || typeof request !== 'object' || request.requestId !== jobId) {
        throw new SealedPayloadError(`job ${jobId} opened to a request for another id`);
    }
    return request;
}

export function sealResult(queueKey: Uint8Array, modelHash: string, requestId: string, output: unknown): string {
    const plaintext = Buffer.from(JSON.stringify({ output }), 'utf8');
    return seal(queueKey, plaintext, sealingAad('result', modelHash, requestId)).toString('base64');
}

export function openResult<O = unknown>(
    queueKey: Uint8Array,
    modelHash: string,
    requestId: string,
    sealedResult: unknown,
): O {
    if (typeof sealedResult !== 'string') {
        throw new SealedPayloadError(`result of ${requestId} is not a sealed string`);
    }
    const plaintext = open(queueKey, Buffer.from(sealedResult, 'base64'), sealingAad('result', modelHash, requestId));
    return (parseJson(plaintext, `result of ${requestId}`) as { output: O }).output;
}

/** Error messages can quote the input ("value 'x' is out of range"), so they are sealed like results. */
export function sealFailure(
    queueKey: Uint8Array,
    modelHash: string,
    requestId: string,
    failure: FailureDescription,
): string {
    const plaintext = Buffer.from(JSON.stringify(failure), 'utf8');
    const sealed = seal(queueKey, plaintext, sealingAad('error', modelHash, requestId));
    return SEALED_FAILURE_MARKER + sealed.toString('base64');
}

/** Opens a failure reason; reasons that BullMQ wrote itself (stalled too often, …) are returned as they are. */
export function openFailure(
    queueKey: Uint8Array,
    modelHash: string,
    requestId: string,
    reason: string,
): FailureDescription {
    const at = reason.indexOf(SEALED_FAILURE_MARKER);
    if (at < 0) return { name: 'QueueError', message: reason, permanent: false };
    const sealed = Buffer.from(reason.slice(at + SEALED_FAILURE_MARKER.length).trim(), 'base64');
    const plaintext = open(queueKey, sealed, sealingAad('error', modelHash, requestId));
    return parseJson(plaintext, `failure of ${requestId}`) as FailureDescription;
}

function parseJson(bytes: Buffer, what: string): unknown {
    try {
        return JSON.parse(bytes.toString('utf8'));
    } catch {
        throw new InvalidInputError(`${what} is not valid JSON after opening`);
    }
}
