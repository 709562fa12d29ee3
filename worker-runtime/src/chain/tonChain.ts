import {
    Address,
    Contract,
    ContractProvider,
    openContract,
    OpenedContract,
    StateInit,
    Transaction,
    TupleItem,
    TupleReader,
} from '@ton/core';
import { HttpApi, TonClient } from '@ton/ton';
import { ChrysalisError } from '../errors';
import { Chain, TxId } from './chain';
import { CachedDevnetClock } from './devnetClock';
import { parseToncenterStack } from './toncenterStack';

/** The TON endpoint could not be reached, or answered with an HTTP error: the message names the endpoint. */
export class TonEndpointError extends ChrysalisError {}

/** An HTTP client's failure (axios, under TonClient) as a TonEndpointError naming the endpoint; others unchanged. */
export function endpointError(endpoint: string, err: unknown): unknown {
    if (!err || typeof err !== 'object' || err instanceof TonEndpointError) return err;
    const e = err as { code?: string; message?: string; response?: { status?: number; data?: unknown } };
    if (e.response?.status !== undefined) {
        const body =
            typeof e.response.data === 'object' ? JSON.stringify(e.response.data) : String(e.response.data ?? '');
        return new TonEndpointError(
            `the TON endpoint ${endpoint} answered HTTP ${e.response.status}${body ? `: ${body.slice(0, 200)}` : ''}`,
            { cause: err },
        );
    }
    if (typeof e.code === 'string' && /^(E[A-Z_]+|ERR_[A-Z_]+)$/.test(e.code)) {
        return new TonEndpointError(`the TON endpoint ${endpoint} could not be reached (${e.code}): ${e.message}`, {
            cause: err,
        });
    }
    return err;
}

/** `target` with every promise its methods return mapped through `map` when it rejects. */
function mapRejections<T extends object>(target: T, map: (err: unknown) => unknown): T {
    return new Proxy(target, {
        get(t, key, receiver) {
            const value = Reflect.get(t, key, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
                const result = value.apply(t, args);
                return result instanceof Promise
                    ? result.catch((err: unknown) => {
                          throw map(err);
                      })
                    : result;
            };
        },
    });
}

export interface TonChainConfig {
    /** `devnet`: the devnet's TON API (`chrysalis devnet chain`), which answers as toncenter does. */
    network: 'testnet' | 'mainnet' | 'devnet';
    /** A toncenter-compatible JSON-RPC endpoint, e.g. https://testnet.toncenter.com/api/v2/jsonRPC */
    endpoint: string;
    apiKey?: string;
}

/** A real TON network over its public HTTP API. */
export class TonChain implements Chain {
    readonly network: 'testnet' | 'mainnet' | 'devnet';
    readonly client: TonClient;
    /** The same endpoint's raw calls: get methods, whose stacks TonClient cannot parse beyond the top level. */
    private readonly api: HttpApi;
    private readonly toEndpointError: (err: unknown) => unknown;

    constructor(config: TonChainConfig) {
        this.network = config.network;
        this.toEndpointError = (err) => endpointError(config.endpoint, err);
        // Every call goes through here, so that a refused connection or an HTTP error names the TON endpoint.
        this.client = mapRejections(
            new TonClient({ endpoint: config.endpoint, apiKey: config.apiKey }),
            this.toEndpointError,
        );
        this.api = mapRejections(new HttpApi(config.endpoint, { apiKey: config.apiKey }), this.toEndpointError);
    }

    provider(address: Address, init?: StateInit | null): ContractProvider {
        const provider = this.client.provider(address, init ?? null);
        return mapRejections(
            { ...provider, get: (name, args) => this.runGetMethod(address, name, args) },
            this.toEndpointError,
        );
    }

    /** A get method with its whole result stack, nested tuples included (see toncenterStack.ts). */
    private async runGetMethod(
        address: Address,
        name: string | number,
        args: TupleItem[],
    ): Promise<{ stack: TupleReader }> {
        if (typeof name !== 'string') throw new TypeError('TonChain runs get methods by name');
        const result = await this.api.callGetMethod(address, name, args);
        // As TonClient's runMethod: a non-zero exit code is the contract's error.
        if (result.exit_code !== 0 && result.exit_code !== 1) {
            throw new Error(`Unable to execute get method ${name}. Got exit_code: ${result.exit_code}`);
        }
        return { stack: new TupleReader(parseToncenterStack(result.stack)) };
    }

    open<T extends Contract>(contract: T): OpenedContract<T> {
        return openContract(contract, (args) => this.provider(args.address, args.init));
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

    /**
     * The chain's time. On the devnet it is what the API says (`sync_utime`): its clock may run ahead of this
     * machine's. A reading is kept briefly (devnetClock.ts: the devnet's advance waits that out), so a proxy under load
     * reads it a few times a second, not per request. Elsewhere the wall clock, which the network follows (and which
     * costs no request).
     */
    async now(): Promise<number> {
        if (this.network !== 'devnet') return Math.floor(Date.now() / 1000);
        return this.devnetClock.now();
    }

    private readonly devnetClock = new CachedDevnetClock(() =>
        this.client.getContractState(new Address(0, Buffer.alloc(32))).then((state) => state.timestampt),
    );
}
