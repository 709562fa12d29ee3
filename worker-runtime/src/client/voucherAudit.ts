/**
 * Whether each charge voucher charges what the response used. The proxy signs cumulative units; the client knows
 * each response's usage (token counts by kind) and prices it with the registry's multipliers read from chain. A
 * voucher is accepted only when, with no other request of this client in flight, its cumulative equals the
 * baseline plus the session's priced usage (the proxy rounds the weighted total down once, so within one unit); one
 * that charges less is counted as a discrepancy but not refused (it costs the client nothing) and never committed.
 * The baseline is the account's `charged` read from chain at the session's start, or a voucher the caller kept: the
 * session's first voucher is held to it exactly like every later one, so a proxy cannot open a session with a count
 * inflated by anything up to the stake's worth.
 * While requests overlap a voucher may also count a neighbour's usage the client has not seen yet: it must then lie
 * between the usage seen and that plus the overlapping requests' bound, and only the quiescent check makes it
 * committable.
 */
import { Counter, Registry } from 'prom-client';
import { TokenCounts, TokenMultipliersBps } from '../protocol/voucher';
import type { Check } from './verify';

/** Discrepancies across every client of the process; the gateway serves them on `/metrics`. */
export const clientMetrics = new Registry();
export const voucherDiscrepancies = new Counter({
    name: 'chrysalis_client_voucher_discrepancies_total',
    help: 'Charge vouchers refused because their increase is not the usage of the response priced by the registry',
    registers: [clientMetrics],
});

export function weighted(tokens: TokenCounts, m: TokenMultipliersBps): bigint {
    return (
        tokens.prompt * m.prompt +
        tokens.cached * m.cached +
        tokens.completion * m.completion +
        tokens.reasoning * m.reasoning
    );
}

export class VoucherAudit {
    /** Weighted usage (bps-tokens) of every response accepted in this session. */
    private seen = 0n;
    private inFlight = 0;
    private unsure = false;
    /**
     * Most units of usage this client cannot have seen (the stake's worth: the proxy serves no account whose
     * uncharged usage reached its stake), bounding an unsure voucher; null = unbounded.
     */
    unseenLimit: bigint | null = null;
    /** The highest cumulative accepted so far (a lower one is an earlier voucher that arrived late). */
    private highest = 0n;
    /** Units already charged before this session (on chain, or the last voucher the caller kept); set at first use. */
    baseline: bigint | null = null;
    /** Whether no voucher of this session was accepted yet (a refused first voucher gets a hint: see refuse). */
    private first = true;

    constructor(private readonly multipliers: TokenMultipliersBps) {}

    /** Continues from a voucher that covers usage other senders of this account had (see ChrysalisClient.resumeFrom). */
    rebase(cumulative: bigint): void {
        this.baseline = cumulative;
        this.seen = 0n;
    }

    /**
     * A request this client left (or lost) may have been billed without its usage reaching it: the next voucher may
     * count it, so it is checked only for being at least its own usage, and the count goes on from it.
     */
    abandoned(): void {
        this.unsure = true;
    }

    begin(): void {
        this.inFlight++;
    }

    end(): void {
        this.inFlight--;
    }

    /**
     * Checks one response's voucher against its usage (called between begin and end, after the baseline is set).
     * `committable`: the voucher charges no usage this client has not received and checked (always true when
     * nothing else was in flight; a voucher that also counts an overlapping request's usage waits for a later one).
     */
    check(cumulative: bigint, usage: TokenCounts): Check & { committable?: boolean } {
        if (this.unsure) {
            const own = weighted(usage, this.multipliers) / 10000n;
            const least = (this.baseline ?? 0n) + own;
            const most = this.unseenLimit === null ? null : least + this.unseenLimit + 1n;
            if (cumulative < least || (most !== null && cumulative > most)) {
                return this.refuse(cumulative, most === null ? `at least ${least}` : `between ${least} and ${most}`);
            }
            this.unsure = false;
            this.first = false;
            this.rebase(cumulative);
            return { ok: true, committable: true };
        }
        const base = this.baseline ?? 0n;
        const total = this.seen + weighted(usage, this.multipliers);
        // The proxy floors the cumulative weighted total once; the baseline's own remainder adds at most one unit.
        const high = base + total / 10000n + 1n;
        const exact = this.inFlight <= 1;
        const floor = exact ? high - 1n : base + weighted(usage, this.multipliers) / 10000n;
        if (exact && cumulative > high) {
            // The session's first voucher counting more: usage of an earlier session that the chain does not show yet
            // looks the same as an inflated count from here, so the one way to have it accepted is a kept record.
            const hint = this.first
                ? `; it counts ${cumulative - floor} units beyond the account's charged count on chain and this answer ` +
                  '(usage of an earlier session never committed? resume from its last voucher: resumeFrom, or the ' +
                  "CLI's --voucher-file)"
                : '';
            return this.refuse(cumulative, `${floor} or ${high}`, hint);
        }
        if (cumulative < floor) {
            // Charging less cannot cost this client anything, so the answer stands and the voucher is never
            // committed: either it was signed before a later one that arrived first (answers overlap), or the proxy
            // lost count (a ledger recovered without this client's voucher), which is counted as a discrepancy.
            if (cumulative >= this.highest) voucherDiscrepancies.inc();
            this.seen = total;
            return { ok: true, committable: false };
        }
        this.seen = total;
        this.first = false;
        if (cumulative > this.highest) this.highest = cumulative;
        return { ok: true, committable: cumulative <= high };
    }

    /** The most units the usage received so far explains (baseline + the session's priced usage, rounding included). */
    explainedUnits(): bigint {
        return (this.baseline ?? 0n) + this.seen / 10000n + 1n;
    }

    private refuse(cumulative: bigint, expected: string, hint = ''): Check {
        voucherDiscrepancies.inc();
        return {
            ok: false,
            reason: `the charge voucher's cumulative ${cumulative} is not the usage received priced by the registry (expected ${expected})${hint}`,
        };
    }
}
