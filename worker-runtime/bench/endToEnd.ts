/**
 * `npm run bench`: the end-to-end benchmark on the devnet, next to its two floors measured in the same run.
 *   - end to end: signed requests for the tiny MLP through the proxy's HTTP API (auth, funds check, sealing, queue,
 *     worker, receipt, metering, vouchers) at several concurrencies (bench/http.ts);
 *   - raw ONNX Runtime: the same model in the inference pool, no queue, no HTTP (bench/inference.ts);
 *   - raw BullMQ: tiny jobs through a plain queue and through the sealed queue (bench/queue.ts).
 * Prints the three tables and the added latency, and writes bench/results.json at the repository root.
 *
 *   npm run bench [-- --requests 300 --concurrency 1,4,16 --runs 5000 --jobs 3000 --samples 300 --out bench/results.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchHttp, formatHttpBench, HttpBenchRow } from './http';
import { formatFigures, LatencyFigures, measureRawInference } from './inference';
import { benchQueue, formatQueueBench, QueueBenchRow } from './queue';

/** The targets on 2 cores, for the comparison column. */
export const TARGETS = { requestsPerSecond: 2000, addedP50MsAt500: 2, p99Ms: 20 };

export interface EndToEndResults {
    date: string;
    machine: { cpus: number; cpuModel: string; node: string; platform: string };
    endToEnd: HttpBenchRow[];
    rawInference: LatencyFigures[];
    queue: QueueBenchRow[];
    /** End-to-end p50 minus raw ONNX Runtime p50 at concurrency 1 (ms): what the network adds to one request. */
    addedP50Ms: number | null;
    bestRequestsPerSecond: number;
    targets: typeof TARGETS;
    meetsTargets: { requestsPerSecond: boolean; p99Ms: boolean };
}

export interface EndToEndOptions {
    /** Requests per concurrency level through HTTP. */
    requests: number;
    concurrency: number[];
    /** Runs of raw ONNX Runtime per row (default 5000). */
    runs?: number;
    /** Jobs per raw/sealed queue throughput row (default 3000) and sequential jobs for latency (default 300). */
    jobs?: number;
    samples?: number;
}

export async function benchEndToEnd(options: EndToEndOptions): Promise<EndToEndResults> {
    // Floors first, on a quiet machine, then the whole stack.
    const rawInference = await measureRawInference({ runs: options.runs });
    const queue = await benchQueue({ jobs: options.jobs, samples: options.samples });
    const endToEnd = await benchHttp({ requests: options.requests, concurrency: options.concurrency });
    const single = endToEnd.find((r) => r.concurrency === 1);
    const rawSingle = rawInference.find((r) => r.label.includes('one request at a time')) ?? rawInference[0];
    const addedP50Ms = single && rawSingle ? round(single.p50Ms - rawSingle.p50Micros / 1000) : null;
    const bestRequestsPerSecond = Math.max(0, ...endToEnd.map((r) => r.requestsPerSecond));
    const worstP99 = Math.max(0, ...endToEnd.map((r) => r.p99Ms));
    return {
        date: new Date().toISOString(),
        machine: {
            cpus: os.cpus().length,
            cpuModel: os.cpus()[0]?.model ?? 'unknown',
            node: process.version,
            platform: `${os.platform()} ${os.arch()}`,
        },
        endToEnd: endToEnd.map((r) => ({
            ...r,
            requestsPerSecond: round(r.requestsPerSecond),
            p50Ms: round(r.p50Ms),
            p99Ms: round(r.p99Ms),
        })),
        rawInference,
        queue,
        addedP50Ms,
        bestRequestsPerSecond: round(bestRequestsPerSecond),
        targets: TARGETS,
        meetsTargets: {
            requestsPerSecond: bestRequestsPerSecond >= TARGETS.requestsPerSecond,
            p99Ms: worstP99 <= TARGETS.p99Ms,
        },
    };
}

function round(v: number): number {
    return Math.round(v * 100) / 100;
}

export function formatEndToEnd(r: EndToEndResults): string {
    return [
        `machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}`,
        '',
        formatFigures(r.rawInference),
        '',
        formatQueueBench(r.queue),
        '',
        formatHttpBench(r.endToEnd),
        '',
        `added p50 over raw ONNX Runtime at concurrency 1: ${r.addedP50Ms ?? '?'} ms ` +
            `(target ≤ ${TARGETS.addedP50MsAt500} ms at 500 req/s)`,
        `best end-to-end throughput: ${r.bestRequestsPerSecond} req/s (target ≥ ${TARGETS.requestsPerSecond}); ` +
            `worst p99 ${Math.max(...r.endToEnd.map((x) => x.p99Ms))} ms (target ≤ ${TARGETS.p99Ms} ms)`,
    ].join('\n');
}

if (require.main === module) {
    const { values } = parseArgs({
        options: {
            requests: { type: 'string', default: '300' },
            concurrency: { type: 'string', default: '1,4,16' },
            runs: { type: 'string' },
            jobs: { type: 'string' },
            samples: { type: 'string' },
            out: { type: 'string', default: path.resolve(__dirname, '..', '..', 'bench', 'results.json') },
        },
    });
    const requests = Number(values.requests);
    const concurrency = values.concurrency!.split(',').map(Number);
    if (!Number.isInteger(requests) || requests < 1 || concurrency.some((c) => !Number.isInteger(c) || c < 1)) {
        console.error('--requests must be a positive integer and --concurrency a comma-separated list of them');
        process.exit(2);
    }
    const optional = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    benchEndToEnd({
        requests,
        concurrency,
        runs: optional(values.runs),
        jobs: optional(values.jobs),
        samples: optional(values.samples),
    })
        .then((results) => {
            console.log(formatEndToEnd(results));
            mkdirSync(path.dirname(values.out!), { recursive: true });
            writeFileSync(values.out!, JSON.stringify(results, null, 2) + '\n');
            console.log(`\nwrote ${values.out}`);
            process.exit(0);
        })
        .catch((err) => {
            console.error(err);
            process.exit(1);
        });
}
