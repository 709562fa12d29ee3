import { SendMessageResult } from '@ton/sandbox';
import { Address } from '@ton/core';

/** One operation's line in gas-report.json. */
export interface GasEntry {
    /** Compute gas summed over every transaction of the operation's chain. */
    gas: number;
    /** nanoTON: total fees of those transactions plus the forward fees of the internal messages they sent. */
    fees: number;
    txs: { contract: string; gas: number }[];
}

/** A measurable operation: sets up its own sandbox state and returns the chain it wants measured. */
export interface GasOperation {
    name: string;
    run(): Promise<{ result: SendMessageResult; names: Map<string, string> }>;
}

/**
 * The chain of `result`, without its first transaction (the sending wallet's own, which depends on the wallet, not
 * on the protocol). Transactions of wallets that merely receive Excesses or payouts are included.
 */
export function measureChain(result: SendMessageResult, names: Map<string, string>): GasEntry {
    let gas = 0n;
    let fees = 0n;
    const txs: GasEntry['txs'] = [];
    for (const tx of result.transactions.slice(1)) {
        const d = tx.description;
        const used = d.type === 'generic' && d.computePhase.type === 'vm' ? d.computePhase.gasUsed : 0n;
        gas += used;
        fees += tx.totalFees.coins;
        for (const out of tx.outMessages.values()) {
            if (out.info.type === 'internal') fees += out.info.forwardFee;
        }
        const dest = tx.inMessage?.info.dest;
        const contract = dest instanceof Address ? (names.get(dest.toString()) ?? 'unknown') : 'external';
        txs.push({ contract, gas: Number(used) });
    }
    return { gas: Number(gas), fees: Number(fees), txs };
}

/** Runs an operation and measures its chain. */
export async function measure(op: GasOperation): Promise<GasEntry> {
    const { result, names } = await op.run();
    return measureChain(result, names);
}
