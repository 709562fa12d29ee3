import { slotTag } from '../../protocol/keys';

/**
 * The proxy's own Redis keys (the keys it shares with workers — announcements, grants, payout vouchers — are in
 * protocol/keys.ts). All of them live under `<prefix>:proxy:{<prefix>}:`: the charge, reservation, commitment and
 * election scripts use several of them at once, which a Redis Cluster allows only within one hash slot.
 */
export function proxyKeys(prefix: string) {
    const base = `${prefix}:proxy:${slotTag(prefix)}`;
    return {
        /** Hash: ClientAccount (raw address) → cumulative metered tokens. */
        clientTokens: `${base}:clients`,
        /** Hash: worker owner (raw address) → cumulative metered tokens. */
        workerTokens: `${base}:workers`,
        /**
         * Hash: worker key (hex) → its owner (raw address), written by every charge: whoever asks for a worker's
         * payout later (a restarted proxy that no longer admits it: dead, demoted) finds whose counter to sign.
         */
        workerKeyOwners: `${base}:worker-key-owners`,
        /** Hash {seqno, digest}: the latest state commitment the proxy made. */
        commit: `${base}:commit`,
        /** Counter of charges since the last commitment. */
        uncommitted: `${base}:uncommitted`,
        /** Hash: request id → `maxTokens|expiresAtMs|bodyDigest`, the requests of one account in flight. */
        reserved: (account: string) => `${base}:reserved:${account}`,
        /** Counter of every charge ever made: it only grows, so a lower value means Redis went back in time. */
        chargeCount: `${base}:charge-count`,
        /** Hash {at, seqno}: the last `chrysalis proxy recover` (chain time), covered by the commitment digest. */
        recovery: `${base}:recovery`,
        /** String `<instance id>|<token>` with a lease: the proxy instance that commits (committerLock.ts). */
        committerLock: `${base}:committer`,
        /** Counter: the newest committer token; a write fenced with an older one is refused. */
        committerFence: `${base}:committer-fence`,
        /** String: the close has begun; no instance admits new requests (close.ts). */
        closing: `${base}:closing`,
        /** String: a charged request's record (receipt, tokens, worker); its existence is the charge-once marker. */
        charged: (requestId: string) => `${base}:charged:${requestId}`,
    };
}
