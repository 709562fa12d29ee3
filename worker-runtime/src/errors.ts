/**
 * Errors shared by the runtime modules (queue, inference, roles).
 *
 * The one distinction the queue cares about is *permanent* versus *transient*: a permanent error (bad input, a
 * payload that does not decrypt) fails the job at once, because retrying cannot change the outcome; anything else is
 * treated as transient and retried with exponential backoff. A module marks an error permanent by throwing a
 * subclass of `PermanentError` (or any error with `permanent === true`).
 */

/** Base class of the runtime's own errors: `name` is the subclass name, so it survives serialisation. */
export class ChrysalisError extends Error {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = new.target.name;
    }
}

/** An error that retrying cannot fix. The queue fails such a job without further attempts. */
export class PermanentError extends ChrysalisError {
    readonly permanent = true as const;
}

/** The caller's input is malformed (wrong names, types, shapes, sizes, garbage). Never retried. */
export class InvalidInputError extends PermanentError {}

/** A sealed payload failed to open: wrong key, tampered ciphertext or mismatched associated data. Never retried. */
export class SealedPayloadError extends PermanentError {}

/** An error worth retrying later (a dependency was briefly unavailable, a timeout). */
export class TransientError extends ChrysalisError {
    readonly permanent = false as const;
}

/** Configuration is missing or invalid; raised once at start-up with a message naming the setting. */
export class ConfigError extends ChrysalisError {}

/** A peer asked for a secret (e.g. the queue key) without passing attestation. */
export class AttestationRequiredError extends ChrysalisError {}

/** True when `err` says that retrying cannot help. */
export function isPermanentError(err: unknown): boolean {
    return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}

/**
 * A queued job failed on the worker side. `remoteName` is the worker's error class (e.g. 'InvalidInputError'),
 * `permanent` whether it was failed without retry. An `InvalidInputError` is re-raised as such instead, so a caller
 * can map it straight to a client error.
 */
export class JobFailedError extends ChrysalisError {
    constructor(
        readonly requestId: string,
        readonly remoteName: string,
        message: string,
        readonly permanent: boolean,
    ) {
        super(`request ${requestId} failed: ${remoteName}: ${message}`);
    }
}

/** No result arrived in time; the job may still complete later (ask again with the same request id). */
export class JobTimeoutError extends TransientError {}

/**
 * A completed job's result cannot be used: its record is gone or it does not open with the producer's queue key (a
 * result left under another key version). Nobody is at fault: the job runs again.
 */
export class StaleResultError extends TransientError {}

/** No worker took a job within the wait bound (a backlog): it was taken back out of the queue; nobody is at fault. */
export class QueueWaitError extends TransientError {}

/**
 * The queue holds neither the job nor its result (Redis lost it: wiped, rolled back, evicted). Nothing the client
 * sent is wrong: the request can be queued again.
 */
export class JobVanishedError extends TransientError {}
