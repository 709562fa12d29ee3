/**
 * Runtime benchmark: jobs/s and p50/p99 latency of the tiny MLP through the sealed queue and the worker role
 * (attested, staked, granted — on a sandbox chain), next to raw ONNX Runtime and raw BullMQ measured in the same run.
 *
 *   npm run bench:runtime            (npx tsx worker-runtime/bench/runtime.ts [--jobs 2000] [--samples 300])
 *
 * - raw ONNX Runtime: InferencePool.run on one session thread (validation, thread hop, run), no queue;
 * - raw BullMQ / sealed queue: worker-runtime/bench/queue.ts (trivial compute, no model);
 * - worker role: a SealedJobQueue producer → the worker role (open, validate, run in the pool, hash, sign the
 *   receipt, seal) → the producer opens the result. Throughput: N jobs added at once, time until all completed;
 *   latency: one job at a time, add → opened result.
 * `benchRuntime()` is exported so the end-to-end (HTTP) figure can be added next to these rows.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { deployWorkerNetwork, WorkerNetwork } from '../../tests/fixtures/workerNetwork';
import { generatedModelPath, InferencePool, sha256Hex, staticModelRegistry } from '../src/inference';
import { bullQueueName, SealedJobQueue } from '../src/queue';
import { readWorkerConfig, WorkerRole } from '../src/roles/worker';
import { SimulatedProvider } from '../src/tee';
import { benchQueue, formatQueueBench, QueueBenchRow } from './queue';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const quiet = { warn: () => undefined };

export interface RuntimeBenchRow {
    stage: string;
    /** Jobs in flight at once (ONNX Runtime: concurrent runs; queue: worker concurrency). */
    concurrency: number;
    jobsPerSecond: number;
    p50: number;
    p99: number;
}

export interface RuntimeBenchResult {
    rows: RuntimeBenchRow[];
    queueRows: QueueBenchRow[];
    jobs: number;
    samples: number;
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function latencyStats(times: number[]): { p50: number; p99: number } {
    const sorted = [...times].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

function tinyInputs(seed: number) {
    return {
        features: { type: 'float32', dims: [1, 16], data: Array.from({ length: 16 }, (_, i) => Math.sin(seed + i)) },
    };
}

async function benchOnnx(jobs: number, samples: number, concurrency: number): Promise<RuntimeBenchRow> {
    const path = generatedModelPath('tiny-mlp');
    const pool = await InferencePool.create({
        modelPath: path,
        registry: staticModelRegistry([sha256Hex(readFileSync(path))]),
    });
    try {
        for (let i = 0; i < 200; i++) await pool.run(tinyInputs(i)); // warm-up
        const times: number[] = [];
        for (let i = 0; i < samples; i++) {
            const t = performance.now();
            await pool.run(tinyInputs(i));
            times.push(performance.now() - t);
        }
        const started = performance.now();
        let next = 0;
        await Promise.all(
            Array.from({ length: concurrency }, async () => {
                while (next < jobs) await pool.run(tinyInputs(next++));
            }),
        );
        const seconds = (performance.now() - started) / 1000;
        return { stage: 'raw ONNX Runtime', concurrency, jobsPerSecond: jobs / seconds, ...latencyStats(times) };
    } finally {
        await pool.close();
    }
}

async function benchWorkerRole(
    env: WorkerNetwork,
    prefix: string,
    jobs: number,
    samples: number,
    concurrency: number,
): Promise<RuntimeBenchRow> {
    const worker = await WorkerRole.create({
        config: readWorkerConfig(
            {},
            {
                redisUrl: REDIS_URL,
                prefix,
                registryAddress: env.net.registry.address.toString(),
                modelPath: env.modelPath,
                attestation: 'simulated',
                register: true,
                httpEnabled: false,
                grantPollMs: 20,
                concurrency,
                payoutCheckMs: 0,
            },
        ),
        chain: env.chain,
        registryView: env.view,
        wallet: { address: env.net.operator.address, sender: env.net.operator.getSender() },
        provider: new SimulatedProvider({ logger: quiet }),
        attestationPolicy: { logger: quiet },
    });
    await env.admission.admitPending();
    await worker.consume();
    const { key } = await env.admission.queueKey(env.modelHash);
    const producer = new SealedJobQueue({
        modelHash: env.modelHash,
        queueKey: key,
        config: { redisUrl: REDIS_URL, prefix, removeOnCompleteCount: 100 },
    });
    // BullMQ's name for the queue: hash-tagged (Redis Cluster), not the model's queue name.
    const events = new QueueEvents(bullQueueName(env.modelHash), { connection: { url: REDIS_URL }, prefix });
    await Promise.all([producer.ready(), events.waitUntilReady()]);
    const runId = randomBytes(4).toString('hex');
    try {
        for (let i = 0; i < 100; i++)
            await producer.submit({ requestId: `warm-${runId}-${concurrency}-${i}`, inputs: tinyInputs(i) });
        const times: number[] = [];
        for (let i = 0; i < samples; i++) {
            const t = performance.now();
            await producer.submit({ requestId: `lat-${runId}-${concurrency}-${i}`, inputs: tinyInputs(i) });
            times.push(performance.now() - t);
        }
        let done = 0;
        const all = new Promise<void>((resolve) => {
            events.on('completed', () => {
                if (++done === jobs) resolve();
            });
        });
        const started = performance.now();
        const requests = Array.from({ length: jobs }, (_, i) => ({
            requestId: `tp-${runId}-${concurrency}-${i}`,
            inputs: tinyInputs(i),
        }));
        for (let i = 0; i < requests.length; i += 500) await producer.addBulk(requests.slice(i, i + 500));
        await all;
        const seconds = (performance.now() - started) / 1000;
        return {
            stage: 'sealed queue + worker role',
            concurrency,
            jobsPerSecond: jobs / seconds,
            ...latencyStats(times),
        };
    } finally {
        await events.close();
        await producer.close();
        await worker.stop();
    }
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
    let cursor = '0';
    do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
}

/** Every figure of the runtime benchmark, measured in this one run. */
export async function benchRuntime(options: { jobs?: number; samples?: number } = {}): Promise<RuntimeBenchResult> {
    const jobs = options.jobs ?? 2000;
    const samples = options.samples ?? 300;
    const rows: RuntimeBenchRow[] = [];
    for (const concurrency of [1, 16]) rows.push(await benchOnnx(jobs, samples, concurrency));
    const queueRows = await benchQueue({ jobs, samples });
    const prefix = `chrysalis-bench:runtime:${randomBytes(4).toString('hex')}`;
    const redis = new Redis(REDIS_URL);
    try {
        const env = await deployWorkerNetwork(redis, prefix);
        for (const concurrency of [1, 16]) rows.push(await benchWorkerRole(env, prefix, jobs, samples, concurrency));
        await env.view.stop();
    } finally {
        await deleteKeys(redis, prefix);
        await redis.quit();
    }
    return { rows, queueRows, jobs, samples };
}

export function formatRuntimeRows(rows: RuntimeBenchRow[]): string {
    const lines = ['stage                         concurrency   jobs/s   p50 ms   p99 ms'];
    for (const r of rows) {
        lines.push(
            `${r.stage.padEnd(29)} ${String(r.concurrency).padStart(11)} ${r.jobsPerSecond.toFixed(0).padStart(8)}` +
                ` ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}`,
        );
    }
    return lines.join('\n');
}

export function formatRuntimeBench(result: RuntimeBenchResult): string {
    return [
        `runtime benchmark (tiny MLP, ${result.jobs} jobs for throughput, ${result.samples} sequential for latency)`,
        formatRuntimeRows(result.rows),
        '',
        formatQueueBench(result.queueRows),
    ].join('\n');
}

if (require.main === module) {
    const { values } = parseArgs({
        options: { jobs: { type: 'string', default: '2000' }, samples: { type: 'string', default: '300' } },
    });
    benchRuntime({ jobs: Number(values.jobs), samples: Number(values.samples) })
        .then((result) => {
            console.log(formatRuntimeBench(result));
            process.exit(0);
        })
        .catch((err) => {
            console.error(err);
            process.exit(1);
        });
}
