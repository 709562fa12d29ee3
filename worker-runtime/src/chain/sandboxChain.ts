import { Address, Contract, OpenedContract, StateInit, Transaction } from '@ton/core';
import { Blockchain, SandboxContract } from '@ton/sandbox';
import { Chain, hashToBuffer, TxId } from './chain';

/** The in-process emulator as a {@link Chain}: the devnet and the tests run on it. */
export class SandboxChain implements Chain {
    readonly network = 'sandbox' as const;

    constructor(readonly blockchain: Blockchain) {}

    static async create(): Promise<SandboxChain> {
        return new SandboxChain(await Blockchain.create());
    }

    provider(address: Address, init?: StateInit | null) {
        return this.blockchain.provider(address, init ?? undefined);
    }

    open<T extends Contract>(contract: T): OpenedContract<T> {
        return this.blockchain.openContract(contract) as SandboxContract<T> as unknown as OpenedContract<T>;
    }

    async lastTransaction(address: Address): Promise<TxId | null> {
        const contract = await this.blockchain.getContract(address);
        if (contract.lastTransactionLt === 0n) return null;
        return { lt: contract.lastTransactionLt, hash: hashToBuffer(contract.lastTransactionHash) };
    }

    async transactionsFrom(address: Address, from: TxId, limit: number): Promise<Transaction[]> {
        // @ton/sandbox 0.41 reverses its transaction list in place on every call and cannot compare hashes
        // (it throws whenever lt and hash are passed), so ask for the whole list and order it ourselves.
        const all = [...(await this.blockchain.getTransactions(address))].sort((a, b) =>
            a.lt === b.lt ? 0 : a.lt > b.lt ? -1 : 1,
        );
        const start = all.findIndex((tx) => tx.lt === from.lt && tx.hash().equals(from.hash));
        if (start < 0) throw new Error(`transaction ${from.lt}:${from.hash.toString('hex')} not found`);
        return all.slice(start, start + limit);
    }

    async balance(address: Address): Promise<bigint> {
        return (await this.blockchain.getContract(address)).balance;
    }

    async now(): Promise<number> {
        return this.blockchain.now ?? Math.floor(Date.now() / 1000);
    }
}
