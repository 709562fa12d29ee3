/**
 * The Redis key names the roles share (docs/runtime.md). One place, so the proxy and the worker cannot drift apart.
 * `prefix` is the deployment's key prefix (e.g. `chrysalis`); keys hold signed or sealed values only, because Redis
 * is outside the TEE.
 */

function hex(key: string | Uint8Array): string {
    return typeof key === 'string' ? key.toLowerCase().replace(/^0x/, '') : Buffer.from(key).toString('hex');
}

/**
 * The Redis Cluster hash tag of a deployment's keys that scripts and transactions use together (the proxy's ledger,
 * the registry view and its cursors): `{<prefix>}`. A cluster hashes only the tagged part of a key, so every key that
 * carries it lives in one slot, where multi-key Lua scripts and MULTI are allowed; on a single server it is just text.
 */
export function slotTag(prefix: string): string {
    return `{${prefix}}`;
}

export const RedisKeys = {
    /** A worker's signed announcement (JSON SignedAnnouncement), written by the worker. */
    announcement: (prefix: string, workerKey: string | Uint8Array) => `${prefix}:workers:${hex(workerKey)}`,
    /**
     * Match pattern for every announcement: for tests and operators only. The runtime lists announcements through
     * {@link RedisKeys.announcementIndex}, never by SCAN (which walks the whole keyspace).
     */
    announcementPattern: (prefix: string) => `${prefix}:workers:*`,
    /**
     * Set of worker keys (hex) with an announcement, written after each announcement and renewal, pruned by readers
     * that find the announcement gone (protocol/keyIndex.ts). Outside `workers:*` so the pattern above matches
     * announcements only; on a cluster it is one key in its own slot.
     */
    announcementIndex: (prefix: string) => `${prefix}:index:workers`,
    /** The proxy's signed grant for a worker (JSON SignedGrant); deleted when the worker is demoted. */
    grant: (prefix: string, workerKey: string | Uint8Array) => `${prefix}:grants:${hex(workerKey)}`,
    /** The latest payout voucher for a worker (JSON StoredPayoutVoucher), written by the proxy. */
    payout: (prefix: string, workerKey: string | Uint8Array) => `${prefix}:payout:${hex(workerKey)}`,
    /** Set of worker keys (hex) with a stored payout voucher, written by the proxy after each store (keyIndex.ts). */
    payoutIndex: (prefix: string) => `${prefix}:index:payout`,
    /** Set of worker keys the proxy admitted for a model (hex). */
    admitted: (prefix: string, modelHash: string) => `${prefix}:admitted:${modelHash}`,
    /** Set of demoted worker keys (hex): never re-admitted until removed by an operator. */
    demoted: (prefix: string) => `${prefix}:demoted`,
    /**
     * The registry view persisted by the chain watcher (a hash of fields; see chain/registryView.ts). It and the
     * watcher's cursors are written in one MULTI, so they share a Redis Cluster hash tag ({@link slotTag}).
     */
    registryView: (prefix: string) => `${prefix}:registry-view:${slotTag(prefix)}`,
    /** The chain watcher's cursors live under this prefix. */
    watcher: (prefix: string) => `${prefix}:watcher:${slotTag(prefix)}`,
} as const;

/**
 * A payout voucher as the proxy stores it for the worker: the signed cell (base64 BOC), its signature and, in clear
 * for convenience, the cumulative units and the WorkerAccount it is for (the worker re-reads both from the cell).
 */
export interface StoredPayoutVoucher {
    voucher: string;
    signature: string;
    cumulative: string;
    target: string;
}
