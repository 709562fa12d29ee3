/**
 * End-to-end benchmark through the proxy's HTTP API: the devnet's whole stack in one process (sandbox chain, Redis,
 * proxy, two real workers with the tiny MLP), signed requests posted at several concurrencies. Each request is
 * authenticated, funds-checked, validated, sealed, run by a worker, receipt-verified, metered, charged and answered
 * with a signed voucher. Prints requests/s and p50/p99 latency per concurrency.
 *
 * Then, optionally, open-loop runs at fixed rates (bench/fixedRate.ts).
 *
 *   npx tsx worker-runtime/bench/http.ts [--requests 400] [--concurrency 1,4,16] [--rates 100,250,500 --seconds 5]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { toNano } from '@ton/core';
import { Devnet, startDevnet } from '../src/devnet/orchestrator';
import type { ProcessDevnet } from '../src/devnet/processes/orchestrator';
import type { SdkClientSession } from '../src/devnet/run';
import { ChrysalisClient } from '../src/client';
import { walletContract } from '../src/cli/networkConfig';
import { toWireMap } from '../src/inference/codec';
import { signRequest, SignedRequest } from '../src/protocol/request';
import { FixedRateRow, formatFixedRate, runFixedRate } from './fixedRate';

export interface HttpBenchRow {
    concurrency: number;
    requests: number;
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    failures: number;
}

export function percentile(sorted: number[], p: number): number {
    if (!sorted.length) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One tiny-mlp request's inputs (1 × 16 features), varied by `i`. */
export function tinyMlpInputs(i: number) {
    return {
        features: { type: 'float32', dims: [1, 16], data: Array.from({ length: 16 }, (_, k) => Math.sin(i + k)) },
    };
}

/** A devnet to send requests to: in-process or as processes (what the load functions below read of it). */
export type BenchTarget = Pick<SdkClientSession, 'network' | 'proxyUrl' | 'client'>;

/**
 * A devnet run as processes, as the benchmark sends to it: from this process, through the SDK with the demo client's
 * key over the TON API (the devnet's own stream goes through a client process; the load here is the benchmark's).
 */
export async function processTarget(devnet: ProcessDevnet): Promise<BenchTarget> {
    const keys = devnet.network.client.keyPair;
    const wallet = devnet.network.chain.open(walletContract('v4', 'devnet', keys.publicKey));
    const client = await ChrysalisClient.connect({
        proxyUrl: devnet.proxyUrl,
        chain: devnet.network.chain,
        // Simulated quotes warn on every worker checked; the devnet said it once as its workers started.
        attestationPolicy: { logger: { warn: () => undefined } },
        proxyAddress: devnet.network.proxy.contract.address,
        wallet: { address: wallet.address, sender: wallet.sender(keys.secretKey), keyPair: keys },
    });
    return { network: devnet.network, proxyUrl: devnet.proxyUrl, client };
}

/** Signed request bodies for the devnet's client, made before the clock starts (signing is the client's cost). */
export async function signedBodies(devnet: BenchTarget, requests: number): Promise<SignedRequest[]> {
    const model = devnet.network.models[0].hashHex;
    const account = devnet.network.client.account.address.toString();
    const secretKey = devnet.network.client.keyPair.secretKey;
    const validUntil = (await devnet.network.chain.now()) + 3600;
    return Array.from({ length: requests }, (_, i) =>
        signRequest(
            {
                requestId: randomBytes(32).toString('hex'),
                model,
                inputs: toWireMap(tinyMlpInputs(i)),
                account,
                validUntil,
            },
            secretKey,
        ),
    );
}

/**
 * Posts one signed body over the demo client's channel (RA-TLS, verified once per connection, kept alive); true
 * when the proxy answered 200 (the body is read in full either way).
 */
export async function postInfer(devnet: BenchTarget, signed: SignedRequest): Promise<boolean> {
    const res = await devnet.client.proxy.send({
        method: 'POST',
        path: '/v1/infer',
        signed: { body: signed.body, headers: signed.headers },
    });
    await res.arrayBuffer();
    return res.ok;
}

/** Closed loop: `concurrency` callers each post, wait for the answer, post again. `bodies`: signed beforehand. */
export async function runLevel(
    devnet: BenchTarget,
    concurrency: number,
    requests: number,
    bodies?: SignedRequest[],
): Promise<HttpBenchRow> {
    bodies ??= await signedBodies(devnet, requests);
    const latencies: number[] = [];
    let failures = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
        Array.from({ length: concurrency }, async () => {
            while (next < bodies.length) {
                const body = bodies[next++];
                const t0 = performance.now();
                if (await postInfer(devnet, body)) latencies.push(performance.now() - t0);
                else failures++;
            }
        }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
        concurrency,
        requests,
        requestsPerSecond: latencies.length / seconds,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        failures,
    };
}

/** The benchmark's devnet: the tiny MLP, two workers, logs off. */
export function benchDevnet(): Promise<Devnet> {
    // A stake large enough that the benchmark never runs into "commit your voucher" (50 TON = 50,000 units).
    return startDevnet({
        workers: 2,
        models: ['tiny-mlp'],
        port: 0,
        logLevel: 'silent',
        clientStake: toNano('50'),
        clientDeposit: toNano('100'),
        clientFunding: toNano('200'),
    });
}

export interface HttpBenchOptions {
    /** Requests per concurrency level (closed loop). */
    requests?: number;
    concurrency?: number[];
    /** Offered rates for the open-loop runs (requests/s), each for `rateSeconds`. */
    rates?: number[];
    rateSeconds?: number;
    /** Raw ONNX Runtime p50 (ms) to subtract for the fixed-rate rows' added latency. */
    rawP50Ms?: number | null;
}

export interface HttpBenchResult {
    closedLoop: HttpBenchRow[];
    fixedRate: FixedRateRow[];
}

/** Starts a devnet (tiny MLP, two workers), measures each concurrency level then each fixed rate, stops it. */
export async function benchHttp(options: HttpBenchOptions = {}): Promise<HttpBenchResult> {
    const requests = options.requests ?? 400;
    const levels = options.concurrency ?? [1, 4, 16];
    const devnet = await benchDevnet();
    try {
        await runLevel(devnet, 4, Math.min(50, requests)); // warm-up: connections, sessions, caches
        const closedLoop: HttpBenchRow[] = [];
        for (const c of levels) closedLoop.push(await runLevel(devnet, c, requests));
        const fixedRate: FixedRateRow[] = [];
        for (const rate of options.rates ?? []) {
            await new Promise((resolve) => setTimeout(resolve, 300)); // let the previous run's tail settle
            fixedRate.push(await runFixedRate(devnet, rate, options.rateSeconds ?? 5, options.rawP50Ms ?? null));
        }
        return { closedLoop, fixedRate };
    } finally {
        await devnet.stop();
    }
}

export function formatHttpBench(rows: HttpBenchRow[]): string {
    const lines = [
        'end-to-end through HTTP (proxy + 2 workers, tiny MLP, signed requests, vouchers): ',
        'concurrency   requests   req/s    p50 ms   p99 ms   failures',
    ];
    for (const r of rows) {
        lines.push(
            `${String(r.concurrency).padStart(11)}   ${String(r.requests).padStart(8)}   ${r.requestsPerSecond
                .toFixed(0)
                .padStart(5)}   ${r.p50Ms.toFixed(2).padStart(6)}   ${r.p99Ms.toFixed(2).padStart(6)}   ${r.failures}`,
        );
    }
    return lines.join('\n');
}

if (require.main === module) {
    const { values } = parseArgs({
        options: {
            requests: { type: 'string', default: '400' },
            concurrency: { type: 'string', default: '1,4,16' },
            rates: { type: 'string', default: '' },
            seconds: { type: 'string', default: '5' },
        },
    });
    benchHttp({
        requests: Number(values.requests),
        concurrency: values.concurrency!.split(',').map(Number),
        rates: values.rates ? values.rates.split(',').map(Number) : [],
        rateSeconds: Number(values.seconds),
    })
        .then(({ closedLoop, fixedRate }) => {
            console.log(formatHttpBench(closedLoop));
            if (fixedRate.length) console.log('\n' + formatFixedRate(fixedRate));
            process.exit(0);
        })
        .catch((err) => {
            console.error(err);
            process.exit(1);
        });
}
