/**
 * The demo client's stream of requests: round-robin over the models, a few in flight at once. Each answer is checked
 * beyond what the SDK already checks (receipt hashes and signature, charge voucher): the receipt's worker key must be
 * one the devnet registered for that model, and the proxy's token count must be the model's metering rule applied
 * to what was sent and received.
 */
import { performance } from 'node:perf_hooks';
import { meter } from '../inference/metering';
import { JsonTensorMap } from '../inference/types';
import { randomBytes } from 'node:crypto';
import { ChrysalisClient, ProxyError } from '../client';
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
     * Riding out a proxy that goes away (a crash, a restart): for up to this long, a request whose proxy could not be
     * reached, or answered 503, is settled by the proxy's receipt when it was charged (the answer was lost, the charge
     * was not) and sent again under a new id when it was not. Needs `proxyUrl`. Default 0: a failure is a failure.
     */
    recoverForMs?: number;
    proxyUrl?: string;
}

/** What the proxy keeps of a charged request (GET /v1/receipts/:id): enough to count its tokens and who served it. */
interface ChargedReceipt {
    model: string;
    workerKey: string;
    tokens: number;
}

/** A request's answer (`recovered`: from the proxy's receipt after the answer was lost), or: send it again. */
type Attempt = { kind: 'answered'; workerKey: string; tokens: number; recovered?: boolean } | { kind: 'retry' };

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
        recovered: 0,
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
    /** One request, as the SDK sends it; with recovery, a lost answer is looked up by its request id. */
    const attempt = async (
        model: (typeof tensorModels)[number],
        inputs: JsonTensorMap,
        deadline: number,
    ): Promise<Attempt> => {
        const requestId = randomBytes(32).toString('hex');
        let response;
        try {
            response = await client.infer(model.hashHex, inputs, requestId);
        } catch (err) {
            const unavailable = err instanceof ProxyError && err.status === 503;
            if (!options.proxyUrl || performance.now() > deadline || !(unavailable || unreachable(err))) throw err;
            if (unavailable) return { kind: 'retry' };
            const charged = await receiptOnceReachable(client, requestId, deadline);
            if (!charged) return { kind: 'retry' };
            if (charged.model !== model.hashHex) throw new Error(`receipt ${requestId} names model ${charged.model}`);
            return { kind: 'answered', workerKey: charged.workerKey, tokens: charged.tokens, recovered: true };
        }
        const expected = meter(model.kind, inputs, response.outputs);
        if (response.tokens !== expected) {
            throw new Error(`${model.name}: the proxy metered ${response.tokens} tokens, the rule gives ${expected}`);
        }
        return { kind: 'answered', workerKey: response.workerKey, tokens: response.tokens };
    };
    const one = async (n: number) => {
        const model = tensorModels[n % tensorModels.length];
        const inputs = demoInputs(model.name as DevnetModelName, n);
        const t0 = performance.now();
        const deadline = t0 + (options.recoverForMs ?? 0);
        try {
            let outcome = await attempt(model, inputs, deadline);
            if (outcome.kind === 'retry' || outcome.recovered) result.recovered += 1;
            while (outcome.kind === 'retry') {
                await sleep(RETRY_PAUSE_MS);
                outcome = await attempt(model, inputs, deadline);
            }
            const ms = performance.now() - t0;
            const worker = owners.get(outcome.workerKey.toLowerCase());
            if (!worker || worker.model !== model.hashHex) {
                throw new Error(`answered by worker key ${outcome.workerKey}, not one registered for ${model.name}`);
            }
            result.latenciesMs.push(ms);
            result.tokens += outcome.tokens;
            result.tokensByModel[model.name] = (result.tokensByModel[model.name] ?? 0) + outcome.tokens;
            result.tokensByOperator[worker.operator] = (result.tokensByOperator[worker.operator] ?? 0) + outcome.tokens;
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

const RETRY_PAUSE_MS = 250;

/**
 * The HTTP request itself failed (refused, reset, timed out): the proxy may or may not have charged it. Every
 * transport reports a socket error with the system's code as its cause (fetch: `fetch failed`).
 */
function unreachable(err: unknown): boolean {
    const e = err as { name?: string; message?: string; cause?: { code?: unknown } };
    if (e?.name === 'TimeoutError' || /fetch failed/.test(e?.message ?? '')) return true;
    return typeof e?.cause?.code === 'string' && /^E[A-Z]+$/.test(e.cause.code);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The proxy's record of a request, once the proxy answers again: the record when it was charged, null when it was
 * not (404). A charge is one Redis script, so a request is either charged with its record or not at all.
 */
async function receiptOnceReachable(
    client: ChrysalisClient,
    requestId: string,
    deadline: number,
): Promise<ChargedReceipt | null> {
    for (;;) {
        try {
            return (await client.receipt(requestId)) as unknown as ChargedReceipt;
        } catch (err) {
            if (err instanceof ProxyError && err.status === 404) return null;
            // not reachable yet
        }
        if (performance.now() > deadline) throw new Error(`the proxy did not come back to answer for ${requestId}`);
        await sleep(RETRY_PAUSE_MS);
    }
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
