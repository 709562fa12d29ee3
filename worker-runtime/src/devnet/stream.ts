/**
 * The demo client's stream of requests: round-robin over the models, a few in flight at once. Each answer is checked
 * beyond what the SDK already checks (receipt hashes and signature, charge voucher): the receipt's worker key must be
 * one the devnet registered for that model, and the proxy's token count must be the model's metering rule applied
 * to what was sent and received.
 */
import { performance } from 'node:perf_hooks';
import { meter } from '../inference/metering';
import { JsonTensorMap } from '../inference/types';
import { ChrysalisClient } from '../client';
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
    elapsedMs: number;
    /** Tokens the proxy metered, in total, per model and per worker operator (who should be paid for them). */
    tokens: number;
    tokensByModel: Record<string, number>;
    tokensByOperator: Record<number, number>;
}

export interface StreamOptions {
    requests: number;
    concurrency: number;
    /** Called about every `progressEveryMs` and once at the end. */
    onProgress?: (p: StreamProgress) => void;
    progressEveryMs?: number;
}

export async function runRequestStream(
    network: DevnetView,
    client: ChrysalisClient,
    options: StreamOptions,
): Promise<StreamResult> {
    const owners = new Map<string, { operator: number; model: string }>();
    for (const w of network.workers) {
        for (const k of w.keys)
            owners.set(k.keyPair.publicKey.toString('hex'), { operator: w.index, model: k.model.hashHex });
    }
    const result: StreamResult = {
        requests: options.requests,
        failed: 0,
        errors: [],
        latenciesMs: [],
        latencyMs: { p50: 0, p99: 0, mean: 0 },
        elapsedMs: 0,
        tokens: 0,
        tokensByModel: {},
        tokensByOperator: {},
    };
    const started = performance.now();
    let next = 0;
    let lastProgress = started;
    const progress = () => {
        options.onProgress?.({
            done: result.latenciesMs.length + result.failed,
            failed: result.failed,
            total: options.requests,
            elapsedMs: performance.now() - started,
            latencyMs: summarize(result.latenciesMs),
        });
    };

    // Generative folders are exercised by the generative demo (generativeDemo.ts), not by tensor requests.
    const tensorModels = network.models.filter((m) => !m.package);
    const one = async (n: number) => {
        const model = tensorModels[n % tensorModels.length];
        const inputs = demoInputs(model.name as DevnetModelName, n);
        const t0 = performance.now();
        try {
            const response = await client.infer(model.hashHex, inputs);
            const ms = performance.now() - t0;
            const worker = owners.get(response.workerKey.toLowerCase());
            if (!worker || worker.model !== model.hashHex) {
                throw new Error(`answered by worker key ${response.workerKey}, not one registered for ${model.name}`);
            }
            const expected = meter(model.kind, inputs, response.outputs);
            if (response.tokens !== expected) {
                throw new Error(
                    `${model.name}: the proxy metered ${response.tokens} tokens, the rule gives ${expected}`,
                );
            }
            result.latenciesMs.push(ms);
            result.tokens += response.tokens;
            result.tokensByModel[model.name] = (result.tokensByModel[model.name] ?? 0) + response.tokens;
            result.tokensByOperator[worker.operator] =
                (result.tokensByOperator[worker.operator] ?? 0) + response.tokens;
        } catch (err) {
            result.failed += 1;
            const message = `${model.name}: ${(err as Error).message}`;
            if (result.errors.length < 5 && !result.errors.includes(message)) result.errors.push(message);
        }
        if (performance.now() - lastProgress >= (options.progressEveryMs ?? 1000)) {
            lastProgress = performance.now();
            progress();
        }
    };

    const lanes = Array.from({ length: Math.max(1, Math.min(options.concurrency, options.requests)) }, async () => {
        while (next < options.requests) await one(next++);
    });
    await Promise.all(lanes);
    result.elapsedMs = performance.now() - started;
    result.latencyMs = summarize(result.latenciesMs);
    progress();
    return result;
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
