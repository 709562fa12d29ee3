/**
 * A worker process killed with SIGKILL, then the proxy process killed and started again: the restarted proxy finds the
 * dead worker's announcement still in Redis, but a dead worker does not renew it (protocol/liveness.ts), so the proxy
 * never admits it; it admits the surviving worker once that renews, every request is served by the survivor, nobody
 * is demoted (no key rotation, no healthy worker dropped for a dead one's silence), and the run reconciles on chain.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ANNOUNCEMENT_TTL_MS } from '../../worker-runtime/src/protocol/liveness';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { ProcessDevnet, startProcessDevnet } from '../../worker-runtime/src/devnet/processes/orchestrator';
import { runOnDevnet } from '../../worker-runtime/src/devnet/run';
import { closeRedisClient, createRedisClient } from '../../worker-runtime/src/queue';

jest.setTimeout(900_000);

let devnet: ProcessDevnet | null = null;

afterAll(async () => {
    await devnet?.stop();
});

/** The worker keys the proxy's log says it admitted, from byte `from` of the log on. */
function admittedIn(logFile: string, from: number): string[] {
    return readFileSync(logFile)
        .subarray(from)
        .toString('utf8')
        .split('\n')
        .filter((line) => line.includes('"worker admitted"'))
        .map((line) => (JSON.parse(line) as { workerKey: string }).workerKey);
}

test('a proxy restarted after a worker was killed -9 admits only the live worker, which serves every request', async () => {
    devnet = await startProcessDevnet({
        workers: 2,
        models: ['tiny-mlp'],
        generative: [],
        seed: `dead-worker-${randomBytes(3).toString('hex')}`,
    });
    const d = devnet;
    const [deadOperator, liveOperator] = d.network.workers;
    const deadKey = deadOperator.keys[0].keyPair.publicKey.toString('hex');
    const liveKey = liveOperator.keys[0].keyPair.publicKey.toString('hex');
    const proxyLog = d.children.get('proxy')!.logFile;
    expect(admittedIn(proxyLog, 0).sort()).toEqual([deadKey, liveKey].sort());

    await d.kill('worker-0-tiny-mlp');
    await d.kill('proxy');
    const restartedAt = statSync(proxyLog).size;
    const redis = createRedisClient(d.redisUrl);
    try {
        // What the dead worker left: its announcement, still there when the proxy comes back.
        expect(await redis.exists(RedisKeys.announcement(d.prefix, deadKey))).toBe(1);
        await d.restartProxy();

        const result = await runOnDevnet(d, { requests: 16, concurrency: 4 });
        expect(result.stream.errors).toEqual([]);
        expect(result.stream.latenciesMs).toHaveLength(16);
        expect(result.stream.tokensByOperator[0] ?? 0).toBe(0);
        expect(result.stream.tokensByOperator[1]).toBeGreaterThan(0);
        expect(result.reconciled).toBe(true);

        // Past the dead worker's expiry: its announcement is gone, and the restarted proxy never admitted it.
        const deadline = Date.now() + ANNOUNCEMENT_TTL_MS * 3;
        while ((await redis.exists(RedisKeys.announcement(d.prefix, deadKey))) === 1) {
            if (Date.now() > deadline) throw new Error("the dead worker's announcement did not expire");
            await new Promise((r) => setTimeout(r, 250));
        }
        expect(admittedIn(proxyLog, restartedAt)).toEqual([liveKey]);
        // Nobody demoted: the live worker kept its place, and the dead one was never blamed into a key rotation.
        expect(await redis.smembers(RedisKeys.demoted(d.prefix))).toEqual([]);
    } finally {
        await closeRedisClient(redis);
    }
});
