import { Cluster, ClusterNode, Redis, RedisOptions } from 'ioredis';
import { clusterSeeds, isClusterTarget } from './redisTarget';

export { CLUSTER_SCHEME, clusterSeeds, clusterTarget, isClusterTarget, withRedisTarget } from './redisTarget';

/**
 * `maxRetriesPerRequest: null` is what BullMQ requires of the connections it blocks on, and it keeps our commands
 * waiting through a brief Redis restart instead of failing a job that has already been computed.
 */
const OPTIONS: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true };

function newCluster(target: string): Cluster {
    return new Cluster(clusterSeeds(target) as ClusterNode[], {
        redisOptions: OPTIONS,
        // A cluster created on loopback addresses announces them as such; nothing to rewrite.
        enableReadyCheck: true,
    });
}

/**
 * A Redis client for the runtime's own keys. On a cluster target it is an ioredis `Cluster`, typed as `Redis`: every
 * command the runtime sends is a single-slot command (each Lua script, MULTI and pipeline keeps its keys under one
 * hash tag, docs/queue.md "Redis Cluster"), which a `Cluster` routes exactly as a `Redis` would run it. The one
 * whole-keyspace command, SCAN, goes through {@link scanKeys}, which walks every master of a cluster; no serving path
 * uses it (the proxy lists announcements and payout vouchers through index sets, protocol/keyIndex.ts).
 */
export function createRedisClient(redisUrl: string): Redis {
    if (isClusterTarget(redisUrl)) return newCluster(redisUrl) as unknown as Redis;
    return new Redis(redisUrl, OPTIONS);
}

/**
 * A connection for one BullMQ Queue/Worker/QueueEvents and how to let it go. On a single server BullMQ gets options
 * and opens (and closes) its connections itself; on a cluster it gets a `Cluster` of its own (BullMQ duplicates it for
 * its blocking reads) that `close` quits once the BullMQ object is closed.
 */
export function bullConnection(redisUrl: string): {
    connection: Cluster | { url: string; maxRetriesPerRequest: null };
    close(): Promise<void>;
} {
    if (isClusterTarget(redisUrl)) {
        const cluster = newCluster(redisUrl);
        return { connection: cluster, close: () => closeRedisClient(cluster as unknown as Redis) };
    }
    return { connection: { url: redisUrl, maxRetriesPerRequest: null }, close: async () => undefined };
}

/**
 * QUIT rather than disconnect(): ioredis keeps a 2 s timer alive after disconnect(), which delays process exit. A
 * client that is closed already is left alone: disconnect() on it starts that timer too (its old socket never closes
 * again to clear it), which kept test processes alive after a worker had been killed.
 */
export async function closeRedisClient(redis: Redis): Promise<void> {
    if (redis.status === 'end') return;
    try {
        await redis.quit();
    } catch {
        redis.disconnect(); // already closed or unreachable: nothing left to flush
    }
}

/**
 * Every key matching `pattern` (SCAN, not KEYS, so a large Redis is not blocked), on every master of a cluster. A SCAN
 * walks the whole keyspace whatever the pattern (charge records, kept 30 days, are most of it): its cost grows with
 * everything ever served, so it is for a walk that is really meant to cover a whole deployment, once, never for a
 * round that repeats. Its one runtime use is {@link deleteKeysUnder}; tests use it to look at what a run left.
 */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
    const nodes: Redis[] = isCluster(redis) ? (redis as unknown as Cluster).nodes('master') : [redis];
    const keys: string[] = [];
    for (const node of nodes) {
        let cursor = '0';
        do {
            const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
            cursor = next;
            keys.push(...batch);
        } while (cursor !== '0');
    }
    return keys;
}

/**
 * Deletes every key under `prefix:` and nothing outside it (on a cluster one DEL per key: they live in many slots).
 * A teardown, run once when something that owned a whole prefix ends: the in-process and `--processes` devnets at
 * their stop (their random `chrysalis-devnet:<hex>` prefix, unless the Redis was their own), a worker started without
 * a seed at its stop (the registry view it kept under its one-off key's namespace), and the tests' clean-ups.
 */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
    const keys = await scanKeys(redis, `${prefix}:*`);
    const cluster = isCluster(redis);
    for (let i = 0; i < keys.length; i += 500) {
        const batch = keys.slice(i, i + 500);
        if (cluster) await Promise.all(batch.map((k) => redis.del(k)));
        else await redis.del(...batch);
    }
}

/** True for a client {@link createRedisClient} made for a cluster target. */
export function isCluster(redis: Redis): boolean {
    return (redis as unknown) instanceof Cluster;
}
