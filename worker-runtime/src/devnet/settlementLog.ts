/**
 * Every settlement transaction of the run, as the chain recorded it: charges on the client's account, payouts on
 * the workers' accounts and the proxy's state commitments, whoever sent them (the SDK commits charges by itself
 * when half the stake is unsettled; the devnet commits the rest at the end). `poll()` returns the new ones.
 */
import { Address, Transaction } from '@ton/core';
import type { Chain } from '../chain/chain';
import { COMMIT_STATE_OP, parseVoucher, VoucherOp } from '../protocol/voucher';
import type { DevnetView } from './view';
import { lastLt, outcomeOf, transactionsAfter, txHashHex } from './transactions';

export interface SettlementRecord {
    kind: 'charge' | 'payout' | 'state-commit';
    /** `client`, `gateway`, `worker <i>` or `proxy`. */
    party: string;
    /** Cumulative billing units of the voucher (the seqno for a state commitment). */
    cumulative: string;
    txHash: string;
    lt: string;
    success: boolean;
}

interface Watched {
    address: Address;
    party: string;
    since: bigint;
}

export class SettlementLog {
    readonly records: SettlementRecord[] = [];
    /** Polls may overlap (progress reports do not wait for each other). */
    private readonly seen = new Set<string>();

    private constructor(
        private readonly chain: Chain,
        private readonly watched: Watched[],
    ) {}

    static async open(network: DevnetView): Promise<SettlementLog> {
        const targets = [
            { address: network.client.account.address, party: 'client' },
            // `--processes`: the gateway process commits its own account's charges.
            ...(network.gatewayClient ? [{ address: network.gatewayClient.account.address, party: 'gateway' }] : []),
            { address: network.proxy.contract.address, party: 'proxy' },
            ...network.workers.map((w) => ({ address: w.payoutAccount.address, party: `worker ${w.index}` })),
        ];
        const watched: Watched[] = [];
        for (const t of targets) {
            watched.push({ ...t, since: await lastLt(network.chain, t.address) });
        }
        return new SettlementLog(network.chain, watched);
    }

    /** Settlement transactions recorded since the last poll, oldest first. */
    async poll(): Promise<SettlementRecord[]> {
        const fresh: SettlementRecord[] = [];
        for (const w of this.watched) {
            const txs = await transactionsAfter(this.chain, w.address, w.since);
            for (const tx of txs) {
                const hash = txHashHex(tx);
                if (this.seen.has(hash)) continue;
                this.seen.add(hash);
                const record = settlementOf(tx, w.party, hash);
                if (record) fresh.push(record);
            }
            // The next poll reads only what is newer.
            if (txs.length) w.since = txs[txs.length - 1].lt;
        }
        fresh.sort((a, b) => (BigInt(a.lt) < BigInt(b.lt) ? -1 : 1));
        this.records.push(...fresh);
        return fresh;
    }
}

function settlementOf(tx: Transaction, party: string, txHash: string): SettlementRecord | null {
    const body = tx.inMessage?.body.beginParse();
    if (!body || body.remainingBits < 32) return null;
    const op = body.loadUint(32);
    const base = { party, txHash, lt: tx.lt.toString(), success: outcomeOf(tx).success };
    if (op === VoucherOp.charge || op === VoucherOp.payout) {
        const voucher = parseVoucher(tx.inMessage!.body.refs[0]);
        return {
            ...base,
            kind: op === VoucherOp.charge ? 'charge' : 'payout',
            cumulative: voucher.cumulative.toString(),
        };
    }
    if (op === COMMIT_STATE_OP) {
        // CommitState: op, signature, ^commit{op, proxy, seqno, digest}.
        const commit = tx.inMessage!.body.refs[0]?.beginParse();
        let seqno = '?';
        try {
            commit?.skip(32);
            commit?.loadAddress();
            seqno = commit?.loadUintBig(64).toString() ?? '?';
        } catch {
            // an unreadable commit is still a settlement transaction worth listing
        }
        return { ...base, party: 'proxy', kind: 'state-commit', cumulative: seqno };
    }
    return null;
}
