/**
 * Open-loop load at a fixed rate: request i is due at start + i / rate and is sent then whether or not earlier ones
 * have been answered, and its latency counts from that due time, not from when it actually left. A system (or a
 * benchmark process) that falls behind therefore shows it in the figures — sends slip, latency grows, the achieved
 * rate drops below the offered one — instead of silently slowing the load down (coordinated omission).
 */
import { BenchTarget, percentile, postInfer, signedBodies } from './http';

export interface FixedRateRow {
    /** Requests per second offered (the schedule). */
    offeredPerSecond: number;
    /** Requests sent (offered × seconds). */
    requests: number;
    /** Answered requests per second, from the first due time to the last answer. */
    achievedPerSecond: number;
    /** Latency from each request's due time to its answer. */
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** p50 of the first and the last third of the schedule: growing latency means a queue building up. */
    p50FirstThirdMs: number;
    p50LastThirdMs: number;
    /** How late the benchmark's own send of a request was, at worst (its event loop is shared with the stack). */
    maxSendLagMs: number;
    failures: number;
    /** End-to-end p50 minus raw ONNX Runtime p50 (pool of the same size, one at a time), when known. */
    addedP50Ms: number | null;
    /** False when the run fell behind the schedule (achieved < 95 % of offered, or latency grew through the run). */
    keptUp: boolean;
}

/** Sends `rate × seconds` signed requests on the fixed schedule and waits for every answer. */
export async function runFixedRate(
    devnet: BenchTarget,
    rate: number,
    seconds: number,
    rawP50Ms: number | null = null,
): Promise<FixedRateRow> {
    const count = Math.max(1, Math.round(rate * seconds));
    const bodies = await signedBodies(devnet, count);
    const intervalMs = 1000 / rate;
    const latencies: number[] = new Array(count).fill(NaN);
    const answers: Promise<void>[] = [];
    let failures = 0;
    let maxSendLagMs = 0;
    let lastAnswer = 0;
    const start = performance.now() + 5;
    let next = 0;
    await new Promise<void>((resolve) => {
        const tick = () => {
            const now = performance.now();
            // Everything due by now leaves now: a late timer sends a burst, and the lateness counts as latency.
            while (next < count && start + next * intervalMs <= now) {
                const i = next++;
                const due = start + i * intervalMs;
                maxSendLagMs = Math.max(maxSendLagMs, now - due);
                answers.push(
                    postInfer(devnet, bodies[i]).then(
                        (ok) => {
                            const done = performance.now();
                            lastAnswer = Math.max(lastAnswer, done);
                            if (ok) latencies[i] = done - due;
                            else failures++;
                        },
                        () => void failures++,
                    ),
                );
            }
            if (next < count) setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
            else resolve();
        };
        tick();
    });
    await Promise.all(answers);
    const answered = latencies.filter((l) => !Number.isNaN(l));
    const sorted = [...answered].sort((a, b) => a - b);
    const third = Math.max(1, Math.floor(count / 3));
    const p50Of = (part: number[]) =>
        percentile(
            part.filter((l) => !Number.isNaN(l)).sort((a, b) => a - b),
            50,
        );
    const achievedPerSecond = answered.length / ((lastAnswer - start) / 1000);
    const p50FirstThirdMs = p50Of(latencies.slice(0, third));
    const p50LastThirdMs = p50Of(latencies.slice(-third));
    const p50Ms = percentile(sorted, 50);
    return {
        offeredPerSecond: rate,
        requests: count,
        achievedPerSecond: round(achievedPerSecond),
        p50Ms: round(p50Ms),
        p99Ms: round(percentile(sorted, 99)),
        maxMs: round(sorted[sorted.length - 1] ?? NaN),
        p50FirstThirdMs: round(p50FirstThirdMs),
        p50LastThirdMs: round(p50LastThirdMs),
        maxSendLagMs: round(maxSendLagMs),
        failures,
        addedP50Ms: rawP50Ms === null ? null : round(p50Ms - rawP50Ms),
        keptUp: failures === 0 && achievedPerSecond >= 0.95 * rate && p50LastThirdMs <= 2 * p50FirstThirdMs + 5,
    };
}

function round(v: number): number {
    return Math.round(v * 100) / 100;
}

export function formatFixedRate(rows: FixedRateRow[]): string {
    const lines = [
        "end-to-end at a fixed rate (open loop; latency from each request's due time):",
        'offered/s  achieved/s   p50 ms   p99 ms   max ms  added p50  p50 1st→last third  send lag  fail  kept up',
    ];
    const ms = (v: number | null, w: number) => (v === null || Number.isNaN(v) ? '?' : v.toFixed(2)).padStart(w);
    for (const r of rows) {
        lines.push(
            `${String(r.offeredPerSecond).padStart(9)}  ${r.achievedPerSecond.toFixed(0).padStart(10)}  ` +
                `${ms(r.p50Ms, 7)}  ${ms(r.p99Ms, 7)}  ${ms(r.maxMs, 7)}  ${ms(r.addedP50Ms, 9)}  ` +
                `${`${ms(r.p50FirstThirdMs, 0)} → ${ms(r.p50LastThirdMs, 0)}`.padStart(18)}  ` +
                `${ms(r.maxSendLagMs, 8)}  ${String(r.failures).padStart(4)}  ` +
                (r.keptUp ? 'yes' : 'NO: fell behind'),
        );
    }
    return lines.join('\n');
}
