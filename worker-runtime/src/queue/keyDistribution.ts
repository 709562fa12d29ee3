import { generateSymmetricKey, unwrapKey, wrapKey } from '../crypto';
import { AttestationRequiredError } from '../errors';
import { queueNameForModel } from './naming';

/**
 * How a worker gets a model queue's key. The proxy (in its TEE) holds one random AES-256 key per model queue.
 * A worker presents an X25519 public key bound into its attestation report; once the attestation module has
 * accepted that report for this model, the proxy wraps the queue key to that public key (crypto/wrap.ts), with the
 * queue name as context. Only the worker's TEE can unwrap it, and a key wrapped for one model's queue does not
 * unwrap as another's.
 */

/** The attestation verdict for a worker's public key: a boolean already decided, or a check to run now. */
export type AttestationCheck = boolean | ((workerPublicKey: Buffer, modelHash: string) => boolean | Promise<boolean>);

export interface QueueKeyGrant {
    queueName: string;
    /** wrapKey(queueKey, workerPublicKey, queueName) */
    wrappedKey: Buffer;
}

/** A fresh queue key for a model queue (the proxy keeps it; rotate by creating a new one and re-granting). */
export function createQueueKey(): Buffer {
    return generateSymmetricKey();
}

/** Proxy side: wraps the queue key to an attested worker; refuses a worker whose attestation does not pass. */
export async function grantQueueKey(params: {
    queueKey: Uint8Array;
    modelHash: string | Uint8Array;
    workerPublicKey: Uint8Array;
    attested: AttestationCheck;
}): Promise<QueueKeyGrant> {
    const queueName = queueNameForModel(params.modelHash);
    const workerPublicKey = Buffer.from(params.workerPublicKey);
    const verdict =
        typeof params.attested === 'function'
            ? await params.attested(workerPublicKey, queueName.slice('model-'.length))
            : params.attested;
    if (verdict !== true) {
        throw new AttestationRequiredError(
            `worker key ${workerPublicKey.toString('hex').slice(0, 16)}… is not attested for ${queueName}`,
        );
    }
    return { queueName, wrappedKey: wrapKey(params.queueKey, workerPublicKey, queueName) };
}

/** Worker side (inside the TEE): recovers the queue key from a grant with the worker's X25519 private key. */
export function acceptQueueKey(
    grant: QueueKeyGrant,
    workerPrivateKey: Uint8Array,
    modelHash?: string | Uint8Array,
): Buffer {
    // When the worker knows which model it serves, it insists on that queue rather than trusting the grant's label.
    const queueName = modelHash === undefined ? grant.queueName : queueNameForModel(modelHash);
    return unwrapKey(grant.wrappedKey, workerPrivateKey, queueName);
}
