/**
 * The devnet's money check: balances of every party before and after a run, and the network fees of every
 * transaction in between, so that the table adds up to zero. TON's accounting for one transaction is
 *   balance' = balance + value in − values out − total fees,
 * and the part of a message's forwarding fee not charged to its sender is burnt when it is delivered (the receiving
 * transaction's in-message carries it). Over a closed set of accounts, Σ Δbalance + Σ fees = 0 exactly; a message
 * to or from an account outside the set would break that, so the ledger reports it instead of hiding it.
 */
import { Address, Transaction } from '@ton/core';
import type { Chain } from '../chain/chain';
import { transactionsAfter } from './transactions';

export interface Party {
    name: string;
    addresses: Address[];
}

export interface PartyBalance {
    party: string;
    before: bigint;
    after: bigint;
    delta: bigint;
}

export interface LedgerReport {
    parties: PartyBalance[];
    /** Compute, storage, action and forwarding fees of every transaction on the parties' accounts. */
    networkFees: bigint;
    transactions: number;
    /** Messages that crossed the boundary of the party set (each breaks the sum). */
    strayMessages: string[];
    /** Σ Δ + network fees: 0 when every nanoton is accounted for. */
    imbalance: bigint;
    reconciled: boolean;
}

interface Start {
    balance: bigint;
    lt: bigint;
}

export class BalanceLedger {
    private constructor(
        private readonly chain: Chain,
        private readonly parties: Party[],
        private readonly start: Map<string, Start>,
    ) {}

    /** Records every party's balance and last transaction now. */
    static async open(chain: Chain, parties: Party[]): Promise<BalanceLedger> {
        const start = new Map<string, Start>();
        for (const address of parties.flatMap((p) => p.addresses)) {
            const key = address.toRawString();
            if (start.has(key)) throw new Error(`ledger: ${address.toString()} belongs to two parties`);
            start.set(key, await balanceAndLt(chain, address));
        }
        return new BalanceLedger(chain, parties, start);
    }

    /** Balances now against the start, with the fees of the transactions in between. */
    async close(): Promise<LedgerReport> {
        const parties: PartyBalance[] = [];
        const endLt = new Map<string, bigint>();
        for (const party of this.parties) {
            let before = 0n;
            let after = 0n;
            for (const address of party.addresses) {
                before += this.start.get(address.toRawString())!.balance;
                const end = await balanceAndLt(this.chain, address);
                after += end.balance;
                endLt.set(address.toRawString(), end.lt);
            }
            parties.push({ party: party.name, before, after, delta: after - before });
        }
        let networkFees = 0n;
        let transactions = 0;
        const strayMessages: string[] = [];
        for (const [raw, start] of this.start) {
            const address = Address.parseRaw(raw);
            // Up to the transaction the closing balance was read with: a later one (a role still sending) is the
            // next run's, not counted against this balance.
            const txs = (await transactionsAfter(this.chain, address, start.lt)).filter(
                (tx) => tx.lt <= endLt.get(raw)!,
            );
            for (const tx of txs) {
                transactions += 1;
                networkFees += feesOf(tx);
                strayMessages.push(...this.strays(tx, address));
            }
        }
        const imbalance = parties.reduce((sum, p) => sum + p.delta, 0n) + networkFees;
        return {
            parties,
            networkFees,
            transactions,
            strayMessages,
            imbalance,
            reconciled: imbalance === 0n && strayMessages.length === 0,
        };
    }

    private strays(tx: Transaction, account: Address): string[] {
        const out: string[] = [];
        const info = tx.inMessage?.info;
        if (info?.type === 'internal' && !this.start.has(info.src.toRawString())) {
            out.push(
                `${account.toString()} received ${info.value.coins} nanoton from outside (${info.src.toString()})`,
            );
        }
        for (const message of tx.outMessages.values()) {
            if (message.info.type === 'internal' && !this.start.has(message.info.dest.toRawString())) {
                out.push(
                    `${account.toString()} sent ${message.info.value.coins} nanoton outside (${message.info.dest.toString()})`,
                );
            }
        }
        return out;
    }
}

/** What a transaction burnt: its total fees plus the forwarding fee its internal in-message carried. */
export function feesOf(tx: Transaction): bigint {
    const info = tx.inMessage?.info;
    return tx.totalFees.coins + (info?.type === 'internal' ? info.forwardFee : 0n);
}

/** An account's balance and its last transaction's lt, read together (one state), so that they always agree. */
async function balanceAndLt(chain: Chain, address: Address): Promise<Start> {
    const state = await chain.provider(address).getState();
    return { balance: state.balance, lt: state.last?.lt ?? 0n };
}
