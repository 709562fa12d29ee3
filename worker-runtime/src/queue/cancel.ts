import { Redis } from 'ioredis';

/**
 * Cancellation of a streamed request (docs/queue.md, "Streams"). The proxy sets the request's cancel key (with an
 * expiry) and publishes on the channel of the same name; the worker subscribes to that channel when it starts the
 * request and reads the key once after subscribing, so a cancel sent before the worker started is not missed. The
 * message only carries the fact of cancellation, which Redis may learn: it already sees the stream stop.
 */
export const CANCEL_TTL_SECONDS = 600;

export async function requestCancel(redis: Redis, cancelKey: string): Promise<void> {
    await redis.multi().set(cancelKey, '1', 'EX', CANCEL_TTL_SECONDS).publish(cancelKey, '1').exec();
}

/**
 * One subscriber connection per worker process, shared by every request it runs: `watch(key)` returns an
 * AbortSignal that fires when the proxy cancels, and a function to stop watching.
 */
export class CancelWatcher {
    private readonly subscriber: Redis;
    private readonly controllers = new Map<string, Set<AbortController>>();

    constructor(private readonly redis: Redis) {
        this.subscriber = redis.duplicate();
        this.subscriber.on('message', (channel: string) => {
            for (const controller of this.controllers.get(channel) ?? []) controller.abort(new Error('cancelled'));
        });
        this.subscriber.on('error', () => undefined);
    }

    async watch(cancelKey: string): Promise<{ signal: AbortSignal; stop: () => Promise<void> }> {
        const controller = new AbortController();
        let set = this.controllers.get(cancelKey);
        if (!set) {
            set = new Set();
            this.controllers.set(cancelKey, set);
            await this.subscriber.subscribe(cancelKey);
        }
        set.add(controller);
        if ((await this.redis.exists(cancelKey)) === 1) controller.abort(new Error('cancelled'));
        const stop = async () => {
            const current = this.controllers.get(cancelKey);
            current?.delete(controller);
            if (current && current.size === 0) {
                this.controllers.delete(cancelKey);
                await this.subscriber.unsubscribe(cancelKey).catch(() => undefined);
            }
        };
        return { signal: controller.signal, stop };
    }

    async close(): Promise<void> {
        this.controllers.clear();
        try {
            await this.subscriber.quit();
        } catch {
            this.subscriber.disconnect();
        }
    }
}
