/**
 * The devnet as OS processes (`npm run devnet -- --processes`) under faults: the proxy process killed with SIGKILL in
 * the middle of a run and started again, then a worker process killed with SIGKILL. The run rides both out (the proxy
 * moves the dead worker's jobs to the other one; the client settles a request whose answer died with the proxy by its
 * receipt, and sends again one that was never charged) and still reconciles on chain: every request charged exactly
 * once, every worker paid for exactly what it served, every nanoton accounted for. Then every process is gone.
 */
import { randomBytes } from 'node:crypto';
import { ProcessDevnet, startProcessDevnet } from '../../worker-runtime/src/devnet/processes/orchestrator';
import { runOnDevnet } from '../../worker-runtime/src/devnet/run';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { createRedisClient, closeRedisClient } from '../../worker-runtime/src/queue';
import { alive } from '../fixtures/processes';

jest.setTimeout(900_000);

const REQUESTS = 120;

let devnet: ProcessDevnet | null = null;

afterAll(async () => {
    await devnet?.stop();
});

test('a worker and the proxy killed -9 mid-run: nothing lost, nothing charged twice, the run reconciles', async () => {
    devnet = await startProcessDevnet({
        workers: 2,
        models: ['tiny-mlp'],
        generative: [],
        seed: `faults-${randomBytes(3).toString('hex')}`,
    });
    const d = devnet;
    const victim = 'worker-0-tiny-mlp';
    const victimPid = d.children.get(victim)!.pid;
    const firstProxy = d.children.get('proxy')!.pid;
    const faults: Array<Promise<unknown>> = [];
    let killedWorker = false;
    let killedProxy = false;
    const result = await runOnDevnet(d, {
        requests: REQUESTS,
        concurrency: 4,
        recoverForMs: 240_000,
        onProgress: (p) => {
            // The proxy first (with requests in flight, some answered and charged: recovered by receipt), then the
            // worker. The other order, a proxy restarted after a worker died, is deadWorker.spec.ts.
            if (!killedProxy && p.done >= 15) {
                killedProxy = true;
                faults.push(d.kill('proxy').then(() => d.restartProxy()));
            }
            if (killedProxy && !killedWorker && p.done >= 60) {
                killedWorker = true;
                faults.push(d.kill(victim));
            }
        },
    });
    await Promise.all(faults);
    expect(killedWorker && killedProxy).toBe(true);
    expect(alive(victimPid)).toBe(false);
    expect(d.children.get('proxy')!.pid).not.toBe(firstProxy);

    // Every request was answered (some by the receipt of an answer lost with the proxy), none failed.
    expect(result.stream.errors).toEqual([]);
    expect(result.stream.failed).toBe(0);
    expect(result.stream.latenciesMs).toHaveLength(REQUESTS);
    expect(result.stream.recovered).toBeGreaterThan(0);
    // Both operators served: worker 0 until it died, worker 1 throughout.
    expect(result.stream.tokensByOperator[0]).toBeGreaterThan(0);
    expect(result.stream.tokensByOperator[1]).toBeGreaterThan(0);

    // Charged once: the proxy holds exactly one charge record per request the client counted, no more.
    const redis = createRedisClient(d.redisUrl);
    try {
        const keys = proxyKeys(d.prefix);
        expect(await redis.keys(keys.charged('*'))).toHaveLength(REQUESTS);
        expect(Number(await redis.get(keys.chargeCount))).toBe(REQUESTS);
    } finally {
        await closeRedisClient(redis);
    }
    // On chain: the client paid for exactly the units it was answered, each worker was paid exactly what it served,
    // and the balances add up with the fees (ledger.ts).
    expect(result.billing.filter((c) => !c.ok)).toEqual([]);
    expect(result.ledger.strayMessages).toEqual([]);
    expect(result.ledger.imbalance).toBe(0n);
    expect(result.reconciled).toBe(true);

    // Stopped: no process of the devnet is left.
    const pids = d.children.names().map((n) => d.children.get(n)!.pid);
    await d.stop();
    devnet = null;
    for (const pid of pids) expect(alive(pid)).toBe(false);
});
