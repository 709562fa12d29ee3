import { Redis } from 'ioredis';
import { closeRedisClient } from './connection';

/**
 * Cancellation of a streamed request (docs/queue.md, "Streams"). The proxy sets the request's cancel key (with an
 * expiry) and publishes on the channel of the same name; the worker watches that channel when it starts the request
 * and reads the key once after watching, so a cancel sent before the worker started is not missed. The message only
 * carries the fact of cancellation, which Redis may learn: it already sees the stream stop.
 */
export const CANCEL_TTL_SECONDS = 600;

export async function requestCancel(redis: Redis, cancelKey: string): Promise<void> {
    await redis.multi().set(cancelKey, '1', 'EX', CANCEL_TTL_SECONDS).publish(cancelKey, '1').exec();
}

/** A request being watched: `signal` fires on cancellation; `stop` ends the watch. */
export interface CancelWatch {
    signal: AbortSignal;
    stop(): Promise<void>;
    /** Reports the caller's own read of the cancel key (see {@link CancelWatcher.subscribe}). */
    seen(keyExists: boolean): void;
}

/** `<…>:cancel:<id>` → the pattern of every cancel channel beside it, glob characters of the prefix escaped. */
function channelPattern(cancelKey: string): string {
    const base = cancelKey.slice(0, cancelKey.lastIndexOf(':') + 1);
    return base.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*';
}

/**
 * One subscriber connection per worker process, shared by every request it runs. It subscribes once per model to
 * the pattern of that model's cancel channels (PSUBSCRIBE), so starting a request costs no subscription round trip:
 * `subscribe(key)` registers the request locally, and the caller reads the key once in a round trip it makes anyway
 * (`seen`); `watch(key)` does both.
 */
export class CancelWatcher {
    private readonly subscriber: Redis;
    private readonly controllers = new Map<string, Set<AbortController>>();
    private readonly patterns = new Map<string, Promise<unknown>>();

    constructor(private readonly redis: Redis) {
        this.subscriber = redis.duplicate();
        this.subscriber.on('pmessage', (_pattern: string, channel: string) => {
            for (const controller of this.controllers.get(channel) ?? []) controller.abort(new Error('cancelled'));
        });
        this.subscriber.on('error', () => undefined);
    }

    /**
     * Watches `cancelKey`'s channel. The caller must read the key afterwards (EXISTS) and pass the answer to `seen`:
     * a cancel published before the subscription existed is only in the key.
     */
    async subscribe(cancelKey: string): Promise<CancelWatch> {
        const pattern = channelPattern(cancelKey);
        let subscribed = this.patterns.get(pattern);
        if (!subscribed) {
            subscribed = this.subscriber.psubscribe(pattern);
            this.patterns.set(pattern, subscribed);
            subscribed.catch(() => this.patterns.delete(pattern));
        }
        await subscribed;
        const controller = new AbortController();
        let set = this.controllers.get(cancelKey);
        if (!set) this.controllers.set(cancelKey, (set = new Set()));
        set.add(controller);
        return {
            signal: controller.signal,
            seen: (keyExists) => {
                if (keyExists) controller.abort(new Error('cancelled'));
            },
            stop: async () => {
                const current = this.controllers.get(cancelKey);
                current?.delete(controller);
                if (current && current.size === 0) this.controllers.delete(cancelKey);
            },
        };
    }

    /** `subscribe` and the read of the key. */
    async watch(cancelKey: string): Promise<CancelWatch> {
        const watch = await this.subscribe(cancelKey);
        watch.seen((await this.redis.exists(cancelKey)) === 1);
        return watch;
    }

    async close(): Promise<void> {
        this.controllers.clear();
        await closeRedisClient(this.subscriber);
    }
}
