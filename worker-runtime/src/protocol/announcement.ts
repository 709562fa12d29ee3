import { ed25519Sign, ed25519Verify } from '../crypto/ed25519';
import { domainDigest } from './canonical';

/**
 * A worker's self-description, written to Redis for the proxy to find. The worker key signs it, and the worker key is
 * what the attestation binds, so the sealing key and the rest are as trustworthy as the attestation itself.
 */
export interface WorkerAnnouncement {
    /** Ed25519 worker key, hex. */
    workerKey: string;
    /** X25519 sealing key, hex; the proxy wraps the queue key to it. */
    sealingKey: string;
    /** Model hash, 64 hex characters. */
    modelHash: string;
    /** The operator's wallet (friendly form): owner of the WorkerStake and payee of the WorkerAccount. */
    owner: string;
    /** The serialised attestation document (see tee/), bound to `workerKey`. */
    attestation: unknown;
    /** Unix time of the announcement. */
    issuedAt: number;
}

export interface SignedAnnouncement extends WorkerAnnouncement {
    signature: string;
}

/** The proxy's answer: the model's queue key wrapped to the worker's sealing key, signed by the proxy key. */
export interface QueueKeyGrant {
    workerKey: string;
    modelHash: string;
    /** Increases each time the proxy rotates the model's queue key (e.g. to drop a worker from routing). */
    keyVersion: number;
    /** `wrapKey(queueKey, sealingKey, queueName)`, hex. */
    wrappedKey: string;
    issuedAt: number;
}

export interface SignedGrant extends QueueKeyGrant {
    signature: string;
}

const ANNOUNCEMENT_DOMAIN = 'chrysalis/worker-announcement/v1';
const GRANT_DOMAIN = 'chrysalis/queue-key-grant/v1';

export function signAnnouncement(body: WorkerAnnouncement, workerSecretKey: Buffer): SignedAnnouncement {
    return {
        ...body,
        signature: ed25519Sign(domainDigest(ANNOUNCEMENT_DOMAIN, body), workerSecretKey).toString('hex'),
    };
}

export function verifyAnnouncement(signed: SignedAnnouncement): boolean {
    const { signature, ...body } = signed;
    if (!/^[0-9a-f]{64}$/i.test(body.workerKey) || !/^[0-9a-f]{128}$/i.test(signature)) return false;
    return ed25519Verify(
        domainDigest(ANNOUNCEMENT_DOMAIN, body),
        Buffer.from(signature, 'hex'),
        Buffer.from(body.workerKey, 'hex'),
    );
}

export function signGrant(body: QueueKeyGrant, proxySecretKey: Buffer): SignedGrant {
    return { ...body, signature: ed25519Sign(domainDigest(GRANT_DOMAIN, body), proxySecretKey).toString('hex') };
}

export function verifyGrant(signed: SignedGrant, proxyPublicKey: Buffer): boolean {
    const { signature, ...body } = signed;
    if (!/^[0-9a-f]{128}$/i.test(signature)) return false;
    return ed25519Verify(domainDigest(GRANT_DOMAIN, body), Buffer.from(signature, 'hex'), proxyPublicKey);
}
