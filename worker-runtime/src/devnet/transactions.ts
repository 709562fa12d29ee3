/** Checks on sandbox message results, so that a deployment step that fails stops with its name and exit code. */
import { Address, Transaction } from '@ton/core';
import { SendMessageResult } from '@ton/sandbox';

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
