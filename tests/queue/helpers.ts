import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { QueueConfig } from '../../worker-runtime/src/queue';

import { keysUnder, REDIS_URL, uniquePrefix as prefixFor } from '../fixtures/redis';

export { deleteKeysUnder, keysUnder, REDIS_URL } from '../fixtures/redis';

/** A prefix no other test file (or run) shares, so each file sees and deletes only its own keys. */
export function uniquePrefix(area: string): string {
    return prefixFor(`queue-${area}`);
}

export function randomModelHash(): string {
    return randomBytes(32).toString('hex');
}

export function requestId(label = 'req'): string {
    return `${label}-${randomBytes(6).toString('hex')}`;
}

/** Short locks and stall checks so dead-worker recovery takes about a second, and quick backoff. */
export function fastConfig(prefix: string, extra: Partial<QueueConfig> = {}): Partial<QueueConfig> {
    return {
        redisUrl: REDIS_URL,
        prefix,
        lockDurationMs: 1_000,
        stalledIntervalMs: 500,
        backoffDelayMs: 100,
        shutdownTimeoutMs: 2_000,
        resultTimeoutMs: 15_000,
        ...extra,
    };
}

/** Every value stored under the prefix, whatever the key type, as one string per key (key name included). */
export async function dumpValuesUnder(redis: Redis, prefix: string): Promise<Map<string, string>> {
    const dump = new Map<string, string>();
    for (const key of await keysUnder(redis, prefix)) {
        const type = await redis.type(key);
        let values: string[];
        switch (type) {
            case 'string':
                values = [(await redis.get(key)) ?? ''];
                break;
            case 'hash':
                values = Object.entries(await redis.hgetall(key)).flat();
                break;
            case 'list':
                values = await redis.lrange(key, 0, -1);
                break;
            case 'set':
                values = await redis.smembers(key);
                break;
            case 'zset':
                values = (await redis.call('ZRANGE', key, '0', '-1', 'WITHSCORES')) as string[];
                break;
            case 'stream':
                values = (await redis.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
                break;
            default:
                values = [`<${type}>`];
        }
        dump.set(key, [key, type, ...values].join('\n'));
    }
    return dump;
}

export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}
