import { Address, Contract, ContractProvider, OpenedContract, Sender, StateInit, Transaction } from '@ton/core';

/** A transaction id as TON names it: logical time and hash. */
export interface TxId {
    lt: bigint;
    hash: Buffer;
}

/**
 * What the runtime needs from a TON network. Two implementations: the in-process sandbox (devnet, tests)
 * and a network through `@ton/ton` over a toncenter API (testnet, mainnet, or the devnet's TON API: `devnet`).
 */
export interface Chain {
    readonly network: 'sandbox' | 'testnet' | 'mainnet' | 'devnet';
    provider(address: Address, init?: StateInit | null): ContractProvider;
    open<T extends Contract>(contract: T): OpenedContract<T>;
    /** The last transaction of an account, or null when it has none. */
    lastTransaction(address: Address): Promise<TxId | null>;
    /** Up to `limit` transactions of `address`, newest first, starting at `from` inclusive. */
    transactionsFrom(address: Address, from: TxId, limit: number): Promise<Transaction[]>;
    balance(address: Address): Promise<bigint>;
    /** Unix time as the chain sees it (the sandbox may be time-travelled). */
    now(): Promise<number>;
}

/** A sender together with the address it sends from (a wallet). */
export interface Wallet {
    address: Address;
    sender: Sender;
}

/** TON libraries give transaction hashes as bigints in some places and Buffers in others; this is the bridge. */
export function hashToBuffer(hash: bigint): Buffer {
    return Buffer.from(hash.toString(16).padStart(64, '0'), 'hex');
}
