/**
 * Queue benchmark: raw BullMQ next to the sealed queue, tiny jobs, concurrency 1 and 16.
 *
 *   npx tsx worker-runtime/bench/queue.ts [--jobs 3000] [--samples 300]
 *
 * - throughput: addBulk N jobs, time until the worker has completed all N (jobs/s);
 * - latency: one job at a time, producer-side add → result (raw: job.waitUntilFinished through QueueEvents;
 *   sealed: SealedJobQueue.submit, which also seals the input and opens the result), p50/p99 in ms.
 * Uses its own random key prefix on REDIS_URL (default redis://127.0.0.1:6379) and deletes its keys at the end.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createQueueKey, JobRequest, SealedJobQueue, SealedWorker } from '../src/queue';

let JOBS = 3000;
let SAMPLES = 300;
let REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `chrysalis-bench:queue:${randomBytes(4).toString('hex')}`;
let connection = { url: REDIS_URL, maxRetriesPerRequest: null };
const inputs = [0.1, 0.2, 0.3, 0.4];
const compute = async (x: number[]) => x.reduce((a, b) => a + b, 0);

export interface QueueBenchRow {
    queue: string;
    concurrency: number;
    jobsPerSecond: number;
    p50: number;
    p99: number;
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timeUntilCompleted(worker: Worker, n: number, enqueue: () => Promise<unknown>): Promise<number> {
    let done = 0;
    const finished = new Promise<void>((resolve) => {
        const onCompleted = () => {
            if (++done === n) {
                worker.off('completed', onCompleted);
                resolve();
            }
        };
        worker.on('completed', onCompleted);
    });
    const start = performance.now();
    await enqueue();
    await finished;
    return performance.now() - start;
}

async function latencies(one: (i: number) => Promise<unknown>): Promise<number[]> {
    for (let i = 0; i < 20; i++) await one(-1 - i); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
        const start = performance.now();
        await one(i);
        samples.push(performance.now() - start);
    }
    return samples.sort((a, b) => a - b);
}

async function benchRaw(concurrency: number): Promise<QueueBenchRow> {
    const name = `raw-c${concurrency}`;
    const queue = new Queue(name, { connection, prefix: PREFIX });
    const events = new QueueEvents(name, { connection, prefix: PREFIX });
    const worker = new Worker(name, async (job: Job) => compute(job.data.inputs), {
        connection,
        prefix: PREFIX,
        concurrency,
        removeOnComplete: { count: 1000 },
    });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
    const jobs = Array.from({ length: JOBS }, (_, i) => ({ name: 'infer', data: { requestId: `t${i}`, inputs } }));
    const ms = await timeUntilCompleted(worker, JOBS, () => queue.addBulk(jobs));
    const lat = await latencies(async (i) => {
        const job = await queue.add('infer', { requestId: `l${i}`, inputs }, { jobId: `l${i}` });
        return job.waitUntilFinished(events, 10_000);
    });
    await worker.close();
    await events.close();
    await queue.close();
    return {
        queue: 'raw BullMQ',
        concurrency,
        jobsPerSecond: (JOBS / ms) * 1000,
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
    };
}

async function benchSealed(concurrency: number): Promise<QueueBenchRow> {
    const modelHash = randomBytes(32).toString('hex');
    const queueKey = createQueueKey();
    const config = { redisUrl: REDIS_URL, prefix: PREFIX, concurrency };
    const producer = new SealedJobQueue({ modelHash, queueKey, config });
    const consumer = new SealedWorker<number[], number>({
        modelHash,
        queueKey,
        config,
        processor: async ({ inputs: x }) => compute(x),
    });
    await Promise.all([producer.ready(), consumer.waitUntilReady()]);
    const run = randomBytes(3).toString('hex');
    const requests: JobRequest[] = Array.from({ length: JOBS }, (_, i) => ({ requestId: `t${run}-${i}`, inputs }));
    const ms = await timeUntilCompleted(consumer.worker, JOBS, () => producer.addBulk(requests));
    const lat = await latencies((i) => producer.submit({ requestId: `l${run}-${i}`, inputs }, 10_000));
    await consumer.close();
    await producer.close();
    return {
        queue: 'sealed',
        concurrency,
        jobsPerSecond: (JOBS / ms) * 1000,
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
    };
}

async function deleteBenchKeys(): Promise<void> {
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
}

/** Raw BullMQ alone at one worker concurrency (the baseline other benchmarks compare with), keys deleted after. */
export async function benchRawQueue(
    concurrency: number,
    options: { jobs?: number; samples?: number; redisUrl?: string } = {},
): Promise<QueueBenchRow> {
    if (options.redisUrl) {
        REDIS_URL = options.redisUrl;
        connection = { url: REDIS_URL, maxRetriesPerRequest: null };
    }
    JOBS = options.jobs ?? JOBS;
    SAMPLES = options.samples ?? SAMPLES;
    try {
        return await benchRaw(concurrency);
    } finally {
        await deleteBenchKeys();
    }
}

/** Runs raw BullMQ and the sealed queue at concurrency 1 and 16; reusable by the runtime-wide benchmark. */
export async function benchQueue(options: { jobs?: number; samples?: number } = {}): Promise<QueueBenchRow[]> {
    JOBS = options.jobs ?? JOBS;
    SAMPLES = options.samples ?? SAMPLES;
    const rows: QueueBenchRow[] = [];
    try {
        for (const concurrency of [1, 16]) {
            rows.push(await benchRaw(concurrency));
            rows.push(await benchSealed(concurrency));
        }
    } finally {
        await deleteBenchKeys();
    }
    return rows;
}

export function formatQueueBench(rows: QueueBenchRow[]): string {
    const lines = [
        `queue benchmark: ${JOBS} tiny jobs for throughput, ${SAMPLES} sequential jobs for latency`,
        'queue        concurrency   jobs/s   add→result p50 ms   p99 ms',
    ];
    for (const r of rows) {
        lines.push(
            `${r.queue.padEnd(12)} ${String(r.concurrency).padStart(11)} ${r.jobsPerSecond.toFixed(0).padStart(8)}` +
                ` ${r.p50.toFixed(2).padStart(19)} ${r.p99.toFixed(2).padStart(8)}`,
        );
    }
    return lines.join('\n');
}

if (require.main === module) {
    const { values } = parseArgs({
        options: { jobs: { type: 'string', default: '3000' }, samples: { type: 'string', default: '300' } },
    });
    benchQueue({ jobs: Number(values.jobs), samples: Number(values.samples) })
        .then((rows) => console.log(formatQueueBench(rows)))
        .catch((err) => {
            console.error(err);
            process.exit(1);
        });
}
