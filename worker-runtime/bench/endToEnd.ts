/**
 * `npm run bench`: the end-to-end benchmark on the devnet, next to its two floors measured in the same run.
 *   - end to end: signed requests for the tiny MLP through the proxy's HTTP API (auth, funds check, sealing, queue,
 *     worker, receipt, metering, vouchers) at several concurrencies, closed loop (bench/http.ts), then open loop at
 *     fixed rates, latency counted from each request's due time (bench/fixedRate.ts);
 *   - raw ONNX Runtime: the same model in the inference pool, no queue, no HTTP (bench/inference.ts);
 *   - raw BullMQ: tiny jobs through a plain queue and through the sealed queue (bench/queue.ts).
 * Prints the three tables and the added latency, and writes bench/results.json at the repository root.
 *
 *   npm run bench [-- --requests 300 --concurrency 1,4,16,64 --rates 100,250,500 --seconds 5 --runs 5000 --jobs 3000
 *                    --samples 300 --out bench/results.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FixedRateRow, formatFixedRate } from './fixedRate';
import { benchHttp, formatHttpBench, HttpBenchRow } from './http';
import { formatFigures, LatencyFigures, measureRawInference } from './inference';
import { benchQueue, formatQueueBench, QueueBenchRow } from './queue';

/** The targets on 2 cores, for the comparison column. */
export const TARGETS = { requestsPerSecond: 2000, addedP50MsAt500: 2, p99Ms: 20 };

export interface EndToEndResults {
    date: string;
    machine: { cpus: number; cpuModel: string; node: string; platform: string };
    endToEnd: HttpBenchRow[];
    /** Open loop at fixed offered rates; added p50 against the raw pool's p50 of this run. */
    fixedRate: FixedRateRow[];
    rawInference: LatencyFigures[];
    queue: QueueBenchRow[];
    /** End-to-end p50 minus raw ONNX Runtime p50 at concurrency 1 (ms): what the network adds to one request. */
    addedP50Ms: number | null;
    bestRequestsPerSecond: number;
    targets: typeof TARGETS;
    meetsTargets: { requestsPerSecond: boolean; p99Ms: boolean; addedP50MsAt500?: boolean };
}

export interface EndToEndOptions {
    /** Requests per concurrency level through HTTP. */
    requests: number;
    concurrency: number[];
    /** Offered rates (requests/s) for the open-loop runs, each for `rateSeconds` (default 5). */
    rates?: number[];
    rateSeconds?: number;
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
    const rawSingle = rawInference.find((r) => r.label.includes('one request at a time')) ?? rawInference[0];
    const rawP50Ms = rawSingle ? rawSingle.p50Micros / 1000 : null;
    const { closedLoop: endToEnd, fixedRate } = await benchHttp({
        requests: options.requests,
        concurrency: options.concurrency,
        rates: options.rates,
        rateSeconds: options.rateSeconds,
        rawP50Ms,
    });
    const single = endToEnd.find((r) => r.concurrency === 1);
    const addedP50Ms = single && rawP50Ms !== null ? round(single.p50Ms - rawP50Ms) : null;
    const bestRequestsPerSecond = Math.max(0, ...endToEnd.map((r) => r.requestsPerSecond));
    const worstP99 = Math.max(0, ...endToEnd.map((r) => r.p99Ms));
    const at500 = fixedRate.find((r) => r.offeredPerSecond === 500);
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
        fixedRate,
        rawInference,
        queue,
        addedP50Ms,
        bestRequestsPerSecond: round(bestRequestsPerSecond),
        targets: TARGETS,
        meetsTargets: {
            requestsPerSecond: bestRequestsPerSecond >= TARGETS.requestsPerSecond,
            p99Ms: worstP99 <= TARGETS.p99Ms,
            ...(at500
                ? {
                      addedP50MsAt500:
                          at500.keptUp && at500.addedP50Ms !== null && at500.addedP50Ms <= TARGETS.addedP50MsAt500,
                  }
                : {}),
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
        ...(r.fixedRate.length ? [formatFixedRate(r.fixedRate), ''] : []),
        `added p50 over raw ONNX Runtime at concurrency 1: ${r.addedP50Ms ?? '?'} ms; at 500 req/s offered: ` +
            `${r.fixedRate.find((x) => x.offeredPerSecond === 500)?.addedP50Ms ?? 'not measured'} ms ` +
            `(target ≤ ${TARGETS.addedP50MsAt500} ms at 500 req/s)`,
        `best end-to-end throughput: ${r.bestRequestsPerSecond} req/s (target ≥ ${TARGETS.requestsPerSecond}); ` +
            `worst p99 ${Math.max(...r.endToEnd.map((x) => x.p99Ms))} ms (target ≤ ${TARGETS.p99Ms} ms)`,
    ].join('\n');
}

if (require.main === module) {
    const { values } = parseArgs({
        options: {
            requests: { type: 'string', default: '300' },
            concurrency: { type: 'string', default: '1,4,16,64' },
            rates: { type: 'string', default: '100,250,500' },
            seconds: { type: 'string', default: '5' },
            runs: { type: 'string' },
            jobs: { type: 'string' },
            samples: { type: 'string' },
            out: { type: 'string', default: path.resolve(__dirname, '..', '..', 'bench', 'results.json') },
        },
    });
    const requests = Number(values.requests);
    const concurrency = values.concurrency!.split(',').map(Number);
    const rates = values.rates ? values.rates.split(',').map(Number) : [];
    const seconds = Number(values.seconds);
    if (!Number.isInteger(requests) || requests < 1 || concurrency.some((c) => !Number.isInteger(c) || c < 1)) {
        console.error('--requests must be a positive integer and --concurrency a comma-separated list of them');
        process.exit(2);
    }
    if (rates.some((r) => !(r > 0)) || !(seconds > 0)) {
        console.error('--rates must be a comma-separated list of positive rates (requests/s) and --seconds positive');
        process.exit(2);
    }
    const optional = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    benchEndToEnd({
        requests,
        concurrency,
        rates,
        rateSeconds: seconds,
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
