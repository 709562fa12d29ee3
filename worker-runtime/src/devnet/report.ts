/** What the devnet prints: progress lines, settlement lines, the balance table, and the `--json` object. */
import { fromNano } from '@ton/core';
import { LedgerReport } from './ledger';
import { DevnetRunResult } from './run';
import { SettlementRecord } from './settlementLog';
import { StreamProgress } from './stream';

export interface DevnetJson {
    requests: number;
    failed: number;
    latencyMs: { p50: number; p99: number };
    /** Transaction hashes of every settlement (charges, payouts, state commitments), in chain order. */
    settlements: string[];
    /** nanoTON per party, as decimal strings. */
    balances: Record<string, { before: string; after: string; delta: string }>;
    networkFees: string;
    reconciled: boolean;
    settlementDetails: SettlementRecord[];
    billing: DevnetRunResult['billing'];
    tokens: number;
    requestsPerSecond: number;
    startMs: number;
    runMs: number;
    errors: string[];
    /** The generative demo: requests, failures and billed tokens by kind (decimal strings). */
    generative: { requests: number; failed: number; tokens: Record<string, string>; chatFirstTokenMs: number } | null;
}

export function progressLine(p: StreamProgress): string {
    const rate = p.elapsedMs > 0 ? ((p.done / p.elapsedMs) * 1000).toFixed(1) : '0';
    return (
        `requests ${p.done}/${p.total}` +
        (p.failed ? ` (${p.failed} failed)` : '') +
        `  latency p50 ${p.latencyMs.p50.toFixed(1)} ms p99 ${p.latencyMs.p99.toFixed(1)} ms  ${rate} req/s`
    );
}

export function settlementLine(s: SettlementRecord): string {
    const what =
        s.kind === 'state-commit'
            ? `state commit seqno ${s.cumulative}`
            : `${s.kind} voucher, cumulative ${s.cumulative} units`;
    return `settlement  ${s.party.padEnd(9)} ${what.padEnd(36)} tx ${s.txHash}${s.success ? '' : '  FAILED'}`;
}

/** TON with 9 decimals and a sign (deltas). */
function ton(nano: bigint, signed = false): string {
    const abs = nano < 0n ? -nano : nano;
    const [int, frac = ''] = fromNano(abs).split('.');
    const text = `${int}.${frac.padEnd(9, '0')}`;
    return (nano < 0n ? '-' : signed ? '+' : '') + text;
}

export function balanceTable(ledger: LedgerReport): string {
    const rows: string[][] = [['party', 'before (TON)', 'after (TON)', 'change (TON)']];
    for (const p of ledger.parties) rows.push([p.party, ton(p.before), ton(p.after), ton(p.delta, true)]);
    rows.push(['network fees', '', '', ton(ledger.networkFees, true)]);
    rows.push(['sum', '', '', ton(ledger.imbalance, true)]);
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r: string[]) =>
        r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
    const rule = widths.map((w) => '-'.repeat(w)).join('  ');
    return [line(rows[0]), rule, ...rows.slice(1, -2).map(line), rule, ...rows.slice(-2).map(line)].join('\n');
}

export function summaryText(result: DevnetRunResult): string {
    const s = result.stream;
    const out = [
        '',
        `network started in ${(result.startMs / 1000).toFixed(1)} s; ` +
            `${s.requests - s.failed}/${s.requests} requests succeeded in ${(s.elapsedMs / 1000).toFixed(1)} s ` +
            `(${requestsPerSecond(result).toFixed(1)} req/s), latency p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms, ` +
            `${s.tokens} tokens metered (${Object.entries(s.tokensByModel)
                .map(([m, t]) => `${m} ${t}`)
                .join(', ')})`,
        ...s.errors.map((e) => `  error: ${e}`),
        ...generativeLines(result),
        '',
        balanceTable(result.ledger),
        '',
        ...result.billing.map(
            (c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.actual}${c.ok ? '' : ` (expected ${c.expected})`}`,
        ),
        ...result.ledger.strayMessages.map((m) => `FAIL money crossed the parties' boundary: ${m}`),
        result.reconciled
            ? 'reconciled: every nanoton is accounted for (Σ change + network fees = 0) and the counters agree'
            : 'NOT reconciled',
    ];
    return out.join('\n');
}

export function toJson(result: DevnetRunResult): DevnetJson {
    const s = result.stream;
    return {
        requests: s.requests,
        failed: s.failed,
        latencyMs: { p50: s.latencyMs.p50, p99: s.latencyMs.p99 },
        settlements: result.settlements.map((x) => x.txHash),
        balances: Object.fromEntries(
            result.ledger.parties.map((p) => [
                p.party,
                { before: p.before.toString(), after: p.after.toString(), delta: p.delta.toString() },
            ]),
        ),
        networkFees: result.ledger.networkFees.toString(),
        reconciled: result.reconciled,
        settlementDetails: result.settlements,
        billing: result.billing,
        tokens: s.tokens,
        requestsPerSecond: Math.round(requestsPerSecond(result) * 10) / 10,
        startMs: result.startMs,
        runMs: Math.round(s.elapsedMs),
        errors: [...s.errors, ...(result.generative?.errors ?? [])],
        generative: result.generative
            ? {
                  requests: result.generative.lines.length + result.generative.failed,
                  failed: result.generative.failed,
                  tokens: Object.fromEntries(
                      Object.entries(result.generative.counts).map(([k, v]) => [k, (v as bigint).toString()]),
                  ),
                  chatFirstTokenMs: Math.round(result.generative.chatFirstTokenMs * 10) / 10,
              }
            : null,
    };
}

/** The generative demo's requests and the units of each kind (tokens × multiplier; the voucher rounds their sum down). */
function generativeLines(result: DevnetRunResult): string[] {
    const g = result.generative;
    if (!g) return [];
    const c = g.counts;
    const m = g.multipliersBps;
    const units = (k: keyof typeof c) => (Number(c[k] * m[k]) / 10000).toString();
    return [
        '',
        g.via
            ? `generative requests through ${g.via} (streamed through the sealed queue, receipts checked):`
            : 'generative requests (streamed through the sealed queue, receipts checked):',
        ...g.lines.map((l) => `  ${l}`),
        ...g.errors.map((e) => `  error: ${e}`),
        `  units by kind: prompt ${units('prompt')} (${c.prompt} tokens), cached ${units('cached')} (${c.cached}), ` +
            `completion ${units('completion')} (${c.completion}), reasoning ${units('reasoning')} (${c.reasoning}); ` +
            `first streamed ${g.via ? 'chunk' : 'token'} after ${g.chatFirstTokenMs.toFixed(1)} ms`,
    ];
}

function requestsPerSecond(result: DevnetRunResult): number {
    const s = result.stream;
    return s.elapsedMs > 0 ? ((s.requests - s.failed) / s.elapsedMs) * 1000 : 0;
}
