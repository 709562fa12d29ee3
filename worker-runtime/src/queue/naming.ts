import { InvalidInputError } from '../errors';

/**
 * One BullMQ queue per model: `model-<sha256 hex>`. Workers subscribe only to the queues of the models they
 * serve, and each queue has its own sealing key, so a worker attested for model A cannot read model B's jobs.
 */
const QUEUE_PREFIX = 'model-';
const MODEL_HASH_RE = /^[0-9a-f]{64}$/;

/** Accepts a 32-byte hash as bytes, hex (any case, optional 0x) and returns 64 lowercase hex characters. */
export function normalizeModelHash(modelHash: string | Uint8Array): string {
    const hex =
        typeof modelHash === 'string'
            ? modelHash.trim().toLowerCase().replace(/^0x/, '')
            : Buffer.from(modelHash).toString('hex');
    if (!MODEL_HASH_RE.test(hex)) {
        throw new InvalidInputError(`model hash must be 32 bytes (64 hex characters), got '${String(modelHash)}'`);
    }
    return hex;
}

export function queueNameForModel(modelHash: string | Uint8Array): string {
    return QUEUE_PREFIX + normalizeModelHash(modelHash);
}

/**
 * The name BullMQ knows a model queue by: the queue name in a Redis Cluster hash tag, `{model-<hex>}`. BullMQ's Lua
 * scripts touch several keys of one queue at once (`<prefix>:{model-…}:wait`, `…:active`, the job hashes), which a
 * cluster only allows within one hash slot; the tag puts each queue in a slot of its own (queues spread over the
 * masters, one queue's keys together). The same names on a single server.
 */
export function bullQueueName(modelHash: string | Uint8Array): string {
    return `{${queueNameForModel(modelHash)}}`;
}

export function modelHashFromQueueName(queueName: string): string {
    if (!queueName.startsWith(QUEUE_PREFIX)) {
        throw new InvalidInputError(`'${queueName}' is not a model queue name (expected ${QUEUE_PREFIX}<hex>)`);
    }
    return normalizeModelHash(queueName.slice(QUEUE_PREFIX.length));
}

/**
 * Request ids become BullMQ job ids and Redis key suffixes, and they are stored in clear: they must be opaque
 * (a UUID or random hex), never derived from the input. BullMQ rejects all-digit custom ids, and ':' would break
 * its key layout, so both are refused here with a clear message.
 */
const REQUEST_ID_RE = /^[A-Za-z0-9_.-]{1,128}$/;

export function validateRequestId(requestId: unknown): string {
    if (typeof requestId !== 'string' || !REQUEST_ID_RE.test(requestId) || /^\d+$/.test(requestId)) {
        throw new InvalidInputError(
            `requestId must be 1-128 characters of [A-Za-z0-9_.-] and not all digits, got ${JSON.stringify(requestId)}`,
        );
    }
    return requestId;
}
