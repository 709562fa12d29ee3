/**
 * Every account's transactions, oldest first, as the sandbox ran them: the index toncenter's `getTransactions` pages
 * through. The sandbox keeps one flat list of all transactions (a protected field) and pages nothing itself (its own
 * `getTransactions` reverses that list in place on every call), so this follows the list as it grows.
 */
import { Address, Transaction } from '@ton/core';
import type { Blockchain } from '@ton/sandbox';
import { ChrysalisError } from '../../errors';

/** The sandbox's own list of every transaction it ran. Read, never changed. */
type TransactionList = Transaction[];
type Push = (...items: Transaction[]) => number;

export interface TransactionPage {
    /** Start at this transaction (inclusive); the newest when absent. */
    lt?: bigint;
    /** With `lt`: the start must have this hash. */
    hash?: Buffer;
    /** Stop before the first transaction at or below this logical time (0 = none). */
    toLt?: bigint;
    limit: number;
}

/** The starting transaction of a page is not in the account's history. */
export class TransactionNotFoundError extends ChrysalisError {}

/** `workchain:hex` of an address, the key of its history. */
export function accountKey(address: Address): string {
    return `${address.workChain}:${address.hash.toString('hex')}`;
}

/** The account a transaction ran on: its hash is in the transaction, its workchain in the inbound message. */
function transactionAccount(tx: Transaction): string {
    const dest = tx.inMessage?.info.dest;
    // Only tick-tock transactions have no inbound message, and only masterchain accounts have them.
    const workchain = dest && Address.isAddress(dest) ? dest.workChain : -1;
    return `${workchain}:${tx.address.toString(16).padStart(64, '0')}`;
}

const byLt = (a: Transaction, b: Transaction) => (a.lt < b.lt ? -1 : a.lt > b.lt ? 1 : 0);

export class TransactionHistory {
    private readonly accounts = new Map<string, Transaction[]>();
    private source: TransactionList | null = null;
    private hook: Push | null = null;
    private total = 0;

    constructor(private readonly blockchain: Blockchain) {
        this.follow();
    }

    /** How many transactions the chain has run (the devnet's block numbers count them). */
    get count(): number {
        this.follow();
        return this.total;
    }

    /** The account's transactions, oldest first. */
    of(address: Address): readonly Transaction[] {
        this.follow();
        return this.accounts.get(accountKey(address)) ?? [];
    }

    /** A page of the account's transactions, newest first: toncenter's getTransactions. */
    page(address: Address, page: TransactionPage): Transaction[] {
        const txs = this.of(address);
        let start = txs.length - 1;
        if (page.lt !== undefined) {
            start = lastAtOrBelow(txs, page.lt);
            const found = start >= 0 && txs[start].lt === page.lt ? txs[start] : undefined;
            if (page.hash && (!found || !found.hash().equals(page.hash))) {
                throw new TransactionNotFoundError(
                    `cannot locate transaction ${page.lt}:${page.hash.toString('hex')} of ${address.toString()}`,
                );
            }
        }
        const out: Transaction[] = [];
        for (let i = start; i >= 0 && out.length < page.limit; i--) {
            if (page.toLt && txs[i].lt <= page.toLt) break;
            out.push(txs[i]);
        }
        return out;
    }

    /** Stops following the sandbox's list. */
    close(): void {
        if (this.source && this.hook && this.source.push === this.hook) {
            delete (this.source as { push?: Push }).push;
        }
        this.hook = null;
        this.source = null;
    }

    /**
     * Indexes the sandbox's list, and every transaction added to it from now on. A new list (a snapshot was loaded,
     * which rewinds the chain) is indexed afresh.
     */
    private follow(): void {
        const list = (this.blockchain as unknown as { transactions: TransactionList }).transactions;
        if (list === this.source) return;
        this.close();
        this.accounts.clear();
        this.total = 0;
        // Sorted: the sandbox's getTransactions may have left the list reversed.
        for (const tx of [...list].sort(byLt)) this.add(tx);
        const previous = list.push;
        const hook: Push = (...items) => {
            if (this.hook === hook) for (const tx of items) this.add(tx);
            return previous.apply(list, items);
        };
        Object.defineProperty(list, 'push', { value: hook, configurable: true, writable: true, enumerable: false });
        this.source = list;
        this.hook = hook;
    }

    private add(tx: Transaction): void {
        const key = transactionAccount(tx);
        let txs = this.accounts.get(key);
        if (!txs) this.accounts.set(key, (txs = []));
        // The sandbox runs transactions in logical-time order, so appending keeps each list sorted.
        txs.push(tx);
        this.total++;
    }
}

/** Index of the last transaction with lt ≤ `lt` in an lt-sorted list, or -1. */
function lastAtOrBelow(txs: readonly Transaction[], lt: bigint): number {
    let lo = 0;
    let hi = txs.length - 1;
    let found = -1;
    while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (txs[mid].lt <= lt) {
            found = mid;
            lo = mid + 1;
        } else hi = mid - 1;
    }
    return found;
}
