/**
 * Redis target strings, apart from the client library: the roles' config modules parse them, and `--help` and
 * configuration errors must not load ioredis (tests/cli/main.spec.ts).
 */
import { ConfigError } from '../errors';

/**
 * Where Redis is: a single server (`redis://host:port`, `rediss://…`) or a Redis Cluster given by seed nodes
 * (`redis+cluster://host:port,host:port`, what CHRYSALIS_REDIS_CLUSTER becomes; see {@link clusterTarget}). Every
 * role passes this one string around as its `redisUrl`, so a cluster needs no other setting.
 */
export const CLUSTER_SCHEME = 'redis+cluster://';

/** The target string of a cluster from its seed list (`host:port,host:port`, spaces allowed after the commas). */
export function clusterTarget(seeds: string): string {
    return (
        CLUSTER_SCHEME +
        clusterSeeds(CLUSTER_SCHEME + seeds)
            .map((n) => `${n.host}:${n.port}`)
            .join(',')
    );
}

/** A role's config with CHRYSALIS_REDIS_CLUSTER set: its `redisUrl` becomes the cluster's target. */
export function withRedisTarget<C extends { redisUrl: string; redisCluster: string }>(config: C): C {
    return config.redisCluster ? { ...config, redisUrl: clusterTarget(config.redisCluster) } : config;
}

export function isClusterTarget(target: string): boolean {
    return target.startsWith(CLUSTER_SCHEME);
}

/** The seed nodes of a cluster target; throws ConfigError on a malformed list. */
export function clusterSeeds(target: string): Array<{ host: string; port: number }> {
    const list = target.slice(CLUSTER_SCHEME.length).replace(/\/$/, '');
    const nodes = list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => {
            const m = /^([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(s);
            if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
                throw new ConfigError(`a Redis Cluster seed is host:port, got '${s}'`);
            }
            return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
        });
    if (nodes.length === 0) throw new ConfigError('a Redis Cluster needs at least one seed node (host:port)');
    return nodes;
}
