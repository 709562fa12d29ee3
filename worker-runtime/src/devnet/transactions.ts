/**
 * Checks on sandbox message results, so that a deployment step that fails stops with its name and exit code; and an
 * account's transactions read through any {@link Chain} (the in-process sandbox or the devnet's TON API).
 */
import { Address, Transaction } from '@ton/core';
import type { SendMessageResult } from '@ton/sandbox';
import { Chain, hashToBuffer } from '../chain/chain';

/** Exit code of a transaction's compute phase, or undefined when it had none; `aborted` when it was rolled back. */
export function outcomeOf(tx: Transaction): { success: boolean; exitCode?: number } {
    const d = tx.description;
    if (d.type !== 'generic') return { success: true };
    // A skipped compute phase is a plain credit to an account without code (e.g. funding a wallet before deploy).
    if (d.computePhase.type !== 'vm') return { success: true };
    return { success: d.computePhase.success && !d.aborted, exitCode: d.computePhase.exitCode };
}

/** Throws unless every transaction of `result` that reached `to` succeeded (and at least one did). */
export function requireSuccess(result: SendMessageResult, to: Address, what: string): void {
    const reached = result.transactions.filter((tx) => {
        const dest = tx.inMessage?.info.dest;
        return dest instanceof Address && dest.equals(to);
    });
    if (reached.length === 0) throw new Error(`devnet: ${what}: no transaction reached ${to.toString()}`);
    for (const tx of reached) {
        const { success, exitCode } = outcomeOf(tx);
        if (!success) throw new Error(`devnet: ${what} failed on ${to.toString()} (exit code ${exitCode ?? '?'})`);
    }
}

/** Throws when any transaction of `result` failed. */
export function requireAllSucceeded(result: SendMessageResult, what: string): void {
    for (const tx of result.transactions) {
        const { success, exitCode } = outcomeOf(tx);
        if (!success) throw new Error(`devnet: ${what} failed (exit code ${exitCode ?? '?'})`);
    }
}

/** Hex hash of a transaction (what the devnet prints for each settlement). */
export function txHashHex(tx: Transaction): string {
    return tx.hash().toString('hex');
}

/** Logical time of an account's last transaction (0 when it has none): where a later {@link transactionsAfter} starts. */
export async function lastLt(chain: Chain, address: Address): Promise<bigint> {
    return (await chain.lastTransaction(address))?.lt ?? 0n;
}

/** Every transaction of `address` after logical time `afterLt`, oldest first (paged newest-first, as TON lists them). */
export async function transactionsAfter(chain: Chain, address: Address, afterLt: bigint): Promise<Transaction[]> {
    const PAGE = 100;
    const out: Transaction[] = [];
    let from = await chain.lastTransaction(address);
    while (from && from.lt > afterLt) {
        const page = await chain.transactionsFrom(address, from, PAGE);
        if (page.length === 0) break;
        for (const tx of page) {
            if (tx.lt <= afterLt) return out.reverse();
            out.push(tx);
        }
        const last = page[page.length - 1];
        from =
            last.prevTransactionLt > 0n
                ? { lt: last.prevTransactionLt, hash: hashToBuffer(last.prevTransactionHash) }
                : null;
    }
    return out.reverse();
}
