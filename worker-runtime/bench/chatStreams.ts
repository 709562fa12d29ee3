/**
 * Streamed chats through a proxy's `/v1/generate` (SSE), several at once: tokens/s while every stream is busy, time to
 * the first token and per-token time (bench:scale: in-process vs processes). Greedy decoding on fixed prompts, so
 * every run generates the same tokens.
 */
import type { ChrysalisClient } from '../src/client';
import { readSse, signedGenerativeRequest } from '../src/client/generative';

export interface Run {
    ttftMs: number;
    totalMs: number;
    tokens: number;
    /** When each token arrived (performance.now()). */
    tokenAt: number[];
}

export interface Figures {
    streams: number;
    requests: number;
    /**
     * Tokens that arrived while all `streams` lanes were busy, per second of that time (from the start until the
     * first lane found no request left): the tail, where fewer lanes run, measures the batch's end, not the rate.
     */
    tokensPerSecond: number;
    ttftP50Ms: number;
    ttftP99Ms: number;
    msPerToken: number;
    /** CPU time of this whole process (all threads) per token: less sensitive to a loaded machine than wall time. */
    cpuMsPerToken: number;
}

const percentile = (values: number[], q: number) => {
    const s = [...values].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
export const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

export function summarize(streams: number, runs: Run[], busy: { ms: number; tokens: number }, cpuMs: number): Figures {
    const tokens = runs.reduce((n, r) => n + r.tokens, 0);
    const ttft = runs.map((r) => r.ttftMs);
    return {
        streams,
        requests: runs.length,
        tokensPerSecond: round((busy.tokens / busy.ms) * 1000, 1),
        ttftP50Ms: round(percentile(ttft, 0.5)),
        ttftP99Ms: round(percentile(ttft, 0.99)),
        msPerToken: round(
            runs.reduce((n, r) => n + (r.totalMs - r.ttftMs) / Math.max(1, r.tokens - 1), 0) / runs.length,
            3,
        ),
        cpuMsPerToken: round(cpuMs / Math.max(1, tokens), 3),
    };
}

/** One batch of runs at a fixed concurrency, kept whole so that several batches can be summarized together. */
export interface LaneBatch {
    streams: number;
    runs: Run[];
    wallMs: number;
    /** From the start until the first lane found no request left, and the tokens that arrived meanwhile. */
    busyMs: number;
    busyTokens: number;
    cpuMs: number;
}

/** `requests` runs of `one`, `streams` at a time. */
export async function runLanes(
    streams: number,
    requests: number,
    one: (i: number) => Promise<Run>,
): Promise<LaneBatch> {
    const runs: Run[] = [];
    let next = 0;
    let busyUntil = Infinity;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await Promise.all(
        Array.from({ length: streams }, async () => {
            while (next < requests) runs.push(await one(next++));
            busyUntil = Math.min(busyUntil, performance.now());
        }),
    );
    const cpu = process.cpuUsage(cpu0);
    const busyTokens = runs.reduce((n, r) => n + r.tokenAt.filter((t) => t <= busyUntil).length, 0);
    return {
        streams,
        runs,
        wallMs: performance.now() - t0,
        busyMs: busyUntil - t0,
        busyTokens,
        cpuMs: (cpu.user + cpu.system) / 1000,
    };
}

/** Batches of one concurrency as one: tokens over their summed wall and CPU time, percentiles over all runs. */
export function summarizeBatches(batches: LaneBatch[]): Figures {
    const sum = (f: (b: LaneBatch) => number) => batches.reduce((n, b) => n + f(b), 0);
    return summarize(
        batches[0].streams,
        batches.flatMap((b) => b.runs),
        { ms: sum((b) => b.busyMs), tokens: sum((b) => b.busyTokens) },
        sum((b) => b.cpuMs),
    );
}

/** `requests` runs of `one`, `streams` at a time, summarized. */
export async function lanes(streams: number, requests: number, one: (i: number) => Promise<Run>): Promise<Figures> {
    return summarizeBatches([await runLanes(streams, requests, one)]);
}

export const messagesFor = (i: number) => [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: `Question ${i}: what does a sealed queue protect, and from whom?` },
];

/** One streamed chat through the proxy (over the client's channel: RA-TLS or plain HTTP), signed for `who`'s account. */
export async function streamChat(
    client: ChrysalisClient,
    model: string,
    who: { account: string; secretKey: Buffer },
    i: number,
    maxTokens: number,
): Promise<Run> {
    const inputs = { messages: messagesFor(i), max_tokens: maxTokens, temperature: 0, stream: true };
    const signed = signedGenerativeRequest({ model, inputs, ...who });
    const t0 = performance.now();
    const res = await client.proxy.send({
        method: 'POST',
        path: '/v1/generate',
        signed: { body: signed.body, headers: signed.headers },
    });
    if (res.status !== 200) throw new Error(`chat: HTTP ${res.status}: ${await res.text()}`);
    let first = 0;
    const tokenAt: number[] = [];
    for await (const e of readSse(res.body!)) {
        if (e.event === 'delta') {
            const now = performance.now();
            if (!first) first = now;
            tokenAt.push(...(e.data as { tokenIds: number[] }).tokenIds.map(() => now));
        } else if (e.event === 'error') throw new Error(JSON.stringify(e.data));
    }
    return { ttftMs: first - t0, totalMs: performance.now() - t0, tokens: tokenAt.length, tokenAt };
}
