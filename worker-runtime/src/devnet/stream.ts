/**
 * The demo client's stream of requests: round-robin over the models, a few in flight at once. Each answer is checked
 * beyond what the SDK already checks (receipt hashes and signature, charge voucher): the receipt's worker key must be
 * one the devnet registered for that model, and the proxy's token count must be the model's metering rule applied
 * to what was sent and received.
 */
import { performance } from 'node:perf_hooks';
import { meter, MeteredTensorMap } from '../inference/metering';
import { JsonTensorMap } from '../inference/types';
import type { ChrysalisClient } from '../client';
import { inferRidingOut } from '../client/ridingOut';
import type { DevnetModelName } from './models';
import { demoInputs } from './demoInputs';
import type { DevnetView } from './view';

export interface StreamProgress {
    done: number;
    failed: number;
    total: number;
    elapsedMs: number;
    latencyMs: LatencySummary;
}

export interface LatencySummary {
    p50: number;
    p99: number;
    mean: number;
}

export interface StreamResult {
    requests: number;
    failed: number;
    /** Up to 5 distinct failure messages, for the report. */
    errors: string[];
    latenciesMs: number[];
    latencyMs: LatencySummary;
    /** From the first request sent to the last answer. */
    elapsedMs: number;
    /** Tokens the proxy metered, in total, per model and per worker operator (who should be paid for them). */
    tokens: number;
    tokensByModel: Record<string, number>;
    tokensByOperator: Record<number, number>;
    /** Requests that rode out an unreachable or unavailable proxy (recoverForMs): settled by receipt or sent again. */
    recovered: number;
}

export interface StreamOptions {
    requests: number;
    concurrency: number;
    /** Called about every `progressEveryMs` and once at the end. */
    onProgress?: (p: StreamProgress) => void;
    progressEveryMs?: number;
    /**
     * Riding out a proxy that goes away (a crash, a restart) for up to this long (client/ridingOut.ts): a lost answer
     * is settled by the proxy's record, a request never charged is sent again. Default 0: a failure is a failure.
     */
    recoverForMs?: number;
}

type TensorModel = DevnetView['models'][number];

/** The stream's requests, in order: round-robin over the tensor models, with the demo inputs of each number. */
export function streamRequests(network: DevnetView, requests: number): { model: TensorModel; inputs: JsonTensorMap }[] {
    // Generative folders are exercised by the generative demo (generativeDemo.ts), not by tensor requests.
    const tensorModels = network.models.filter((m) => !m.package);
    return Array.from({ length: requests }, (_, n) => {
        const model = tensorModels[n % tensorModels.length];
        return { model, inputs: demoInputs(model.name as DevnetModelName, n) };
    });
}

/** An answer as the stream counts it (outputs null: settled by the proxy's record after the answer was lost). */
export interface StreamAnswer {
    workerKey: string;
    tokens: number;
    outputs: MeteredTensorMap | null;
    recovered: boolean;
    ms: number;
}

/**
 * The stream's count, whoever sends the requests (this process through the SDK, or a client process): each answer is
 * checked, beyond what the SDK already checks, against the devnet's registered worker keys and the metering rule.
 */
export class StreamTally {
    readonly result: StreamResult;
    private readonly owners = new Map<string, { operator: number; model: string }>();
    private readonly started = performance.now();
    private lastProgress = this.started;
    /**
     * When the first request went out (an answer's arrival less its latency): the stream's time counts from there,
     * not from a client process's start (loading the CLI, reading the chain, checking the proxy).
     */
    private firstSent: number | null = null;

    constructor(
        network: DevnetView,
        private readonly options: Pick<StreamOptions, 'requests' | 'onProgress' | 'progressEveryMs'>,
    ) {
        for (const w of network.workers) {
            for (const k of w.keys)
                this.owners.set(k.keyPair.publicKey.toString('hex'), { operator: w.index, model: k.model.hashHex });
        }
        this.result = {
            requests: options.requests,
            failed: 0,
            errors: [],
            latenciesMs: [],
            latencyMs: { p50: 0, p99: 0, mean: 0 },
            elapsedMs: 0,
            tokens: 0,
            tokensByModel: {},
            tokensByOperator: {},
            recovered: 0,
        };
    }

    answered(model: TensorModel, inputs: JsonTensorMap, a: StreamAnswer): void {
        if (a.outputs) {
            const expected = meter(model.kind, inputs, a.outputs);
            if (a.tokens !== expected) {
                return this.failed(model, `the proxy metered ${a.tokens} tokens, the rule gives ${expected}`);
            }
        }
        const worker = this.owners.get(a.workerKey.toLowerCase());
        if (!worker || worker.model !== model.hashHex) {
            return this.failed(model, `answered by worker key ${a.workerKey}, not one registered for ${model.name}`);
        }
        const sent = performance.now() - a.ms;
        if (this.firstSent === null || sent < this.firstSent) this.firstSent = sent;
        const r = this.result;
        if (a.recovered) r.recovered += 1;
        r.latenciesMs.push(a.ms);
        r.tokens += a.tokens;
        r.tokensByModel[model.name] = (r.tokensByModel[model.name] ?? 0) + a.tokens;
        r.tokensByOperator[worker.operator] = (r.tokensByOperator[worker.operator] ?? 0) + a.tokens;
        this.tick();
    }

    failed(model: TensorModel, message: string): void {
        this.result.failed += 1;
        const line = `${model.name}: ${message}`;
        if (this.result.errors.length < 5 && !this.result.errors.includes(line)) this.result.errors.push(line);
        this.tick();
    }

    /** The result, with the last progress report. */
    finish(): StreamResult {
        this.result.elapsedMs = this.elapsed();
        this.result.latencyMs = summarize(this.result.latenciesMs);
        this.progress();
        return this.result;
    }

    private elapsed(): number {
        return performance.now() - (this.firstSent ?? this.started);
    }

    private tick(): void {
        if (performance.now() - this.lastProgress >= (this.options.progressEveryMs ?? 1000)) {
            this.lastProgress = performance.now();
            this.progress();
        }
    }

    private progress(): void {
        this.options.onProgress?.({
            done: this.result.latenciesMs.length + this.result.failed,
            failed: this.result.failed,
            total: this.options.requests,
            elapsedMs: this.elapsed(),
            latencyMs: summarize(this.result.latenciesMs),
        });
    }
}

/** The stream sent from this process through the SDK, a few requests in flight at once. */
export async function runRequestStream(
    network: DevnetView,
    client: ChrysalisClient,
    options: StreamOptions,
): Promise<StreamResult> {
    const tally = new StreamTally(network, options);
    const requests = streamRequests(network, options.requests);
    let next = 0;
    const one = async (n: number) => {
        const { model, inputs } = requests[n];
        const t0 = performance.now();
        try {
            const r = await inferRidingOut(client, model.hashHex, inputs, options.recoverForMs);
            const outputs = r.response?.outputs ?? null;
            tally.answered(model, inputs, { ...r, outputs, ms: performance.now() - t0 });
        } catch (err) {
            tally.failed(model, (err as Error).message);
        }
    };
    const lanes = Array.from({ length: Math.max(1, Math.min(options.concurrency, options.requests)) }, async () => {
        while (next < options.requests) await one(next++);
    });
    await Promise.all(lanes);
    return tally.finish();
}

/** p50, p99 (nearest rank) and mean of a list of milliseconds, rounded to 0.01 ms; zeros when empty. */
export function summarize(values: number[]): LatencySummary {
    if (values.length === 0) return { p50: 0, p99: 0, mean: 0 };
    const sorted = [...values].sort((a, b) => a - b);
    const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
    const round = (v: number) => Math.round(v * 100) / 100;
    return {
        p50: round(rank(0.5)),
        p99: round(rank(0.99)),
        mean: round(values.reduce((a, b) => a + b, 0) / values.length),
    };
}
