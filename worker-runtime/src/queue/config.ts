import { ConfigError } from '../errors';
import { CLUSTER_SCHEME, clusterSeeds, isClusterTarget } from './connection';

/**
 * Everything the sealed queue can be tuned with, read once at start. Durations are milliseconds unless the name
 * says seconds. `loadQueueConfig` validates every field and names the bad one.
 */
export interface QueueConfig {
    /** Redis connection URL, or a cluster's seeds as `redis+cluster://host:port,…` (connection.ts). Env: REDIS_URL. */
    redisUrl: string;
    /** Prefix of every Redis key the queue writes (BullMQ's and the idempotency ledger's). Env: CHRYSALIS_QUEUE_PREFIX. */
    prefix: string;
    /** Jobs one worker runs at once. Env: CHRYSALIS_QUEUE_CONCURRENCY. */
    concurrency: number;
    /** How long a worker's lock on a job lasts without renewal; a dead worker's job is free after this. */
    lockDurationMs: number;
    /** How often workers look for jobs whose lock expired (stalled) and put them back in the queue. */
    stalledIntervalMs: number;
    /** How many times a job may stall before it is failed instead of requeued (protects from poison jobs). */
    maxStalledCount: number;
    /** Attempts per job for transient errors (1 = no retry). Permanent errors never retry. */
    attempts: number;
    /** First retry delay; each further retry doubles it (BullMQ exponential backoff). */
    backoffDelayMs: number;
    /** Completed jobs kept in Redis (the rest are evicted as new jobs complete). */
    removeOnCompleteCount: number;
    /** Failed jobs kept in Redis. */
    removeOnFailCount: number;
    /** How long `SealedWorker.close()` waits for in-flight jobs before releasing them back to the queue. */
    shutdownTimeoutMs: number;
    /** How long a producer waits for a result by default. */
    resultTimeoutMs: number;
    /** Lifetime of the sealed result record that makes a second delivery of a request return the first result. */
    resultTtlSeconds: number;
    /** Lifetime of the "charged" marker of a request id (must outlast any redelivery or client retry). */
    chargeTtlSeconds: number;
}

export const DEFAULT_QUEUE_CONFIG: Readonly<QueueConfig> = Object.freeze({
    redisUrl: 'redis://127.0.0.1:6379',
    prefix: 'chrysalis',
    concurrency: 1,
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    maxStalledCount: 1,
    attempts: 3,
    backoffDelayMs: 1_000,
    removeOnCompleteCount: 1_000,
    removeOnFailCount: 5_000,
    shutdownTimeoutMs: 10_000,
    resultTimeoutMs: 60_000,
    resultTtlSeconds: 24 * 3600,
    chargeTtlSeconds: 30 * 24 * 3600,
});

type Env = Record<string, string | undefined>;

/** Defaults, then the environment (REDIS_URL, CHRYSALIS_QUEUE_PREFIX, CHRYSALIS_QUEUE_CONCURRENCY), then overrides. */
export function loadQueueConfig(overrides: Partial<QueueConfig> = {}, env: Env = process.env): QueueConfig {
    const fromEnv: Partial<QueueConfig> = {};
    if (env.REDIS_URL) fromEnv.redisUrl = env.REDIS_URL;
    if (env.CHRYSALIS_QUEUE_PREFIX) fromEnv.prefix = env.CHRYSALIS_QUEUE_PREFIX;
    if (env.CHRYSALIS_QUEUE_CONCURRENCY) {
        fromEnv.concurrency = parseIntegerSetting('CHRYSALIS_QUEUE_CONCURRENCY', env.CHRYSALIS_QUEUE_CONCURRENCY);
    }
    const config: QueueConfig = { ...DEFAULT_QUEUE_CONFIG, ...fromEnv, ...stripUndefined(overrides) };
    validateQueueConfig(config);
    return config;
}

export function validateQueueConfig(config: QueueConfig): void {
    if (isClusterTarget(config.redisUrl)) {
        clusterSeeds(config.redisUrl); // throws on a malformed seed list
    } else if (!/^rediss?:\/\//.test(config.redisUrl)) {
        throw new ConfigError(
            `redisUrl must start with redis://, rediss:// or ${CLUSTER_SCHEME}, got '${config.redisUrl}'`,
        );
    }
    if (!/^[A-Za-z0-9_\-.:]{1,100}$/.test(config.prefix)) {
        throw new ConfigError(`prefix must be 1-100 characters of [A-Za-z0-9_-.:], got '${config.prefix}'`);
    }
    const positive: (keyof QueueConfig)[] = [
        'concurrency',
        'lockDurationMs',
        'stalledIntervalMs',
        'attempts',
        'backoffDelayMs',
        'shutdownTimeoutMs',
        'resultTimeoutMs',
        'resultTtlSeconds',
        'chargeTtlSeconds',
    ];
    for (const name of positive) requireInteger(name, config[name], 1);
    for (const name of ['maxStalledCount', 'removeOnCompleteCount', 'removeOnFailCount'] as const) {
        requireInteger(name, config[name], 0);
    }
}

function requireInteger(name: string, value: unknown, min: number): void {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
        throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    }
}

function parseIntegerSetting(name: string, text: string): number {
    if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${name} must be an integer, got '${text}'`);
    return Number(text.trim());
}

function stripUndefined<T extends object>(value: T): Partial<T> {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
