/**
 * The proxy's money state (counters, commitment record, charge records) lives in Redis, so Redis must write it to
 * disk: a Redis without an append-only file loses everything since its last snapshot when it restarts, and the proxy
 * would then serve on counters below the vouchers it signed. Tests and the devnet opt out explicitly.
 */
import { Cluster, Redis } from 'ioredis';
import { isCluster } from '../../queue/connection';
import { ConfigError } from '../../errors';

export const VOLATILE_REDIS_HINT =
    'enable the append-only file (`appendonly yes`, e.g. redis-server --appendonly yes --appendfsync everysec), ' +
    'or set CHRYSALIS_PROXY_VOLATILE_REDIS=true for a test network (a restart of that Redis then loses the ledger)';

/** Throws ConfigError unless Redis runs with `appendonly yes` (every master of a cluster), or `allowVolatile` is set. */
export async function checkPersistence(redis: Redis, allowVolatile: boolean): Promise<void> {
    if (allowVolatile) return;
    const nodes = isCluster(redis) ? (redis as unknown as Cluster).nodes('master') : [redis];
    for (const node of nodes) {
        let reply: unknown;
        try {
            reply = await node.config('GET', 'appendonly');
        } catch (err) {
            throw new ConfigError(
                `cannot read Redis's persistence setting (CONFIG GET appendonly: ${(err as Error).message}): ` +
                    VOLATILE_REDIS_HINT,
            );
        }
        const value = Array.isArray(reply) ? String(reply[1] ?? '') : '';
        if (value !== 'yes') {
            const where = nodes.length > 1 ? ` on ${node.options.host}:${node.options.port}` : '';
            throw new ConfigError(
                `Redis runs without persistence${where} (appendonly ${value || 'unset'}): ${VOLATILE_REDIS_HINT}`,
            );
        }
    }
}
