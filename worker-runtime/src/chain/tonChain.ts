import { Address, Contract, OpenedContract, StateInit, Transaction } from '@ton/core';
import { TonClient } from '@ton/ton';
import { Chain, TxId } from './chain';

export interface TonChainConfig {
    network: 'testnet' | 'mainnet';
    /** A toncenter-compatible JSON-RPC endpoint, e.g. https://testnet.toncenter.com/api/v2/jsonRPC */
    endpoint: string;
    apiKey?: string;
}

/** A real TON network over its public HTTP API. */
export class TonChain implements Chain {
    readonly network: 'testnet' | 'mainnet';
    readonly client: TonClient;

    constructor(config: TonChainConfig) {
        this.network = config.network;
        this.client = new TonClient({ endpoint: config.endpoint, apiKey: config.apiKey });
    }

    provider(address: Address, init?: StateInit | null) {
        return this.client.provider(address, init ?? null);
    }

    open<T extends Contract>(contract: T): OpenedContract<T> {
        return this.client.open(contract);
    }

    async lastTransaction(address: Address): Promise<TxId | null> {
        const state = await this.client.getContractState(address);
        if (!state.lastTransaction) return null;
        return { lt: BigInt(state.lastTransaction.lt), hash: Buffer.from(state.lastTransaction.hash, 'base64') };
    }

    async transactionsFrom(address: Address, from: TxId, limit: number): Promise<Transaction[]> {
        return this.client.getTransactions(address, {
            lt: from.lt.toString(),
            hash: from.hash.toString('base64'),
            limit,
            inclusive: true,
            archival: true,
        });
    }

    async balance(address: Address): Promise<bigint> {
        return this.client.getBalance(address);
    }

    async now(): Promise<number> {
        return Math.floor(Date.now() / 1000);
    }
}
