import type { Redis } from 'ioredis';
import { normalizeModelHash, acceptQueueKey, queueNameForModel } from '../../queue';
import { SignedGrant, verifyGrant } from '../../protocol/announcement';
import { RedisKeys } from '../../protocol/keys';

export interface AcceptedGrant {
    keyVersion: number;
    queueKey: Buffer;
    /** The proxy key (hex) whose signature the grant carries. */
    proxyKey: string;
}

export type GrantReading =
    { kind: 'none' } | { kind: 'invalid'; reason: string } | { kind: 'granted'; grant: AcceptedGrant };

/**
 * Reads the worker's grant from Redis and checks it: signed by a proxy key the registry lists, for this worker key
 * and this model, and unwrapping with the worker's sealing key. Redis is untrusted, so anything else is ignored.
 */
export interface GrantReaderParams {
    redis: Redis;
    prefix: string;
    workerKey: string;
    modelHash: string;
    sealingPrivateKey: Buffer;
    proxyKeys: () => string[];
}

/**
 * Reads the grant, checking it only when its bytes changed: the worker polls it often, and a signature check in
 * pure JavaScript takes ~10 ms of the event loop that jobs need.
 */
export class GrantReader {
    private last: { raw: string; reading: GrantReading } | null = null;

    constructor(private readonly params: GrantReaderParams) {}

    async read(): Promise<GrantReading> {
        const raw = await this.params.redis.get(RedisKeys.grant(this.params.prefix, this.params.workerKey));
        if (raw === null) return { kind: 'none' };
        if (this.last?.raw === raw && this.last.reading.kind === 'granted') return this.last.reading;
        const reading = checkGrant(raw, this.params);
        this.last = { raw, reading };
        return reading;
    }
}

export function checkGrant(raw: string, params: GrantReaderParams): GrantReading {
    let signed: SignedGrant;
    try {
        signed = JSON.parse(raw) as SignedGrant;
    } catch {
        return { kind: 'invalid', reason: 'grant is not JSON' };
    }
    if (typeof signed !== 'object' || signed === null) return { kind: 'invalid', reason: 'grant is not an object' };
    const proxyKey = params.proxyKeys().find((key) => {
        try {
            return verifyGrant(signed, Buffer.from(key, 'hex'));
        } catch {
            return false;
        }
    });
    if (!proxyKey) return { kind: 'invalid', reason: 'grant is not signed by a proxy the registry lists' };
    if (String(signed.workerKey).toLowerCase() !== params.workerKey) {
        return { kind: 'invalid', reason: 'grant is for another worker key' };
    }
    if (normalizeModelHash(String(signed.modelHash)) !== params.modelHash) {
        return { kind: 'invalid', reason: 'grant is for another model' };
    }
    if (!Number.isSafeInteger(signed.keyVersion) || signed.keyVersion < 0) {
        return { kind: 'invalid', reason: 'grant has no valid key version' };
    }
    try {
        const queueKey = acceptQueueKey(
            { queueName: queueNameForModel(params.modelHash), wrappedKey: Buffer.from(signed.wrappedKey, 'hex') },
            params.sealingPrivateKey,
            params.modelHash,
        );
        return { kind: 'granted', grant: { keyVersion: signed.keyVersion, queueKey, proxyKey } };
    } catch (err) {
        return {
            kind: 'invalid',
            reason: `grant does not unwrap with this worker's sealing key: ${(err as Error).message}`,
        };
    }
}
