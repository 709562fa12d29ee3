/**
 * The toncenter v2 JSON-RPC methods over a sandbox `Blockchain`: the ones `@ton/ton`'s TonClient and blueprint call,
 * plus the few a person tries with curl. Each takes toncenter's parameters and answers toncenter's `result`.
 */
import {
    Address,
    beginCell,
    Cell,
    Dictionary,
    external,
    loadMessage,
    Message,
    storeMessage,
    Transaction,
} from '@ton/core';
import { Blockchain, EmulationError, GetMethodError, SmartContract } from '@ton/sandbox';
import { ChrysalisError } from '../../errors';
import { hashToBuffer } from '../../chain/chain';
import { ChainClock } from './clock';
import { TransactionHistory, TransactionNotFoundError } from './history';
import {
    blockId,
    cellParam,
    stackFromJson,
    stackToJson,
    TonApiParamError,
    transactionId,
    transactionJson,
} from './format';

/** A request toncenter would refuse, with the HTTP status toncenter answers it with. */
export class TonApiError extends ChrysalisError {
    constructor(
        readonly code: number,
        message: string,
    ) {
        super(message);
    }
}

export interface MethodContext {
    blockchain: Blockchain;
    history: TransactionHistory;
    clock: ChainClock;
}

export type Params = Record<string, unknown>;
type Method = (ctx: MethodContext, params: Params) => Promise<unknown>;

/** toncenter's limit on one page of transactions. */
const MAX_TRANSACTIONS_PAGE = 100;
/** tonlib's exit code for a get method on an account without code. */
const NO_CODE_EXIT = -13;

function addressParam(params: Params, name = 'address'): Address {
    const raw = params[name];
    if (typeof raw !== 'string' || raw === '') throw new TonApiParamError(`${name} is required`);
    try {
        return Address.parse(raw);
    } catch {
        throw new TonApiParamError(`${name}: "${raw}" is not a TON address`);
    }
}

function intParam(params: Params, name: string, fallback?: bigint): bigint {
    const raw = params[name];
    if (raw === undefined || raw === null || raw === '') {
        if (fallback === undefined) throw new TonApiParamError(`${name} is required`);
        return fallback;
    }
    if ((typeof raw !== 'string' && typeof raw !== 'number') || !/^-?\d+$/.test(String(raw))) {
        throw new TonApiParamError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
    }
    return BigInt(raw);
}

/** A transaction hash as toncenter takes it: hex or base64 (standard or URL-safe). */
function hashParam(raw: unknown): Buffer | undefined {
    if (raw === undefined || raw === null || raw === '') return undefined;
    if (typeof raw !== 'string') throw new TonApiParamError('hash must be a string');
    const hash = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
    if (hash.length !== 32) throw new TonApiParamError(`hash: "${raw}" is not a 32-byte hash in hex or base64`);
    return hash;
}

function lastBlock(ctx: MethodContext) {
    return blockId(ctx.history.count + 1);
}

function accountStateName(type: 'uninit' | 'active' | 'frozen' | undefined): 'active' | 'uninitialized' | 'frozen' {
    return type === 'active' ? 'active' : type === 'frozen' ? 'frozen' : 'uninitialized';
}

async function addressInformation(ctx: MethodContext, params: Params) {
    const address = addressParam(params);
    const utime = ctx.clock.tick();
    const contract = await ctx.blockchain.getContract(address);
    const state = contract.accountState;
    return {
        '@type': 'raw.fullAccountState',
        balance: contract.balance.toString(),
        extra_currencies: [],
        code: state?.type === 'active' ? (state.state.code?.toBoc().toString('base64') ?? '') : '',
        data: state?.type === 'active' ? (state.state.data?.toBoc().toString('base64') ?? '') : '',
        last_transaction_id: transactionId(contract.lastTransactionLt, hashToBuffer(contract.lastTransactionHash)),
        block_id: lastBlock(ctx),
        frozen_hash: state?.type === 'frozen' ? hashToBuffer(state.stateHash).toString('base64') : '',
        sync_utime: utime,
        state: accountStateName(state?.type),
    };
}

async function runGetMethod(ctx: MethodContext, params: Params) {
    const address = addressParam(params);
    const raw = params.method;
    if ((typeof raw !== 'string' || raw === '') && typeof raw !== 'number') {
        throw new TonApiParamError('method is required (a get method name or id)');
    }
    const method = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    const stack = stackFromJson(params.stack);
    ctx.clock.tick();
    const contract = await ctx.blockchain.getContract(address);
    const result = (gasUsed: bigint, exitCode: number, items: Parameters<typeof stackToJson>[0]) => ({
        '@type': 'smc.runResult',
        gas_used: Number(gasUsed),
        stack: stackToJson(items),
        exit_code: exitCode,
    });
    if (contract.accountState?.type !== 'active') return result(0n, NO_CODE_EXIT, []);
    try {
        const r = await ctx.blockchain.runGetMethod(address, method, stack);
        return result(r.gasUsed, r.exitCode, r.stack);
    } catch (err) {
        // toncenter answers ok with the exit code; TonClient's runMethod turns a non-zero one into its error.
        if (err instanceof GetMethodError) return result(err.gasUsed, err.exitCode, []);
        throw err;
    }
}

async function getTransactions(ctx: MethodContext, params: Params) {
    const address = addressParam(params);
    const limit = Number(intParam(params, 'limit', 10n));
    if (limit < 1 || limit > MAX_TRANSACTIONS_PAGE) {
        throw new TonApiParamError(`limit must be from 1 to ${MAX_TRANSACTIONS_PAGE}, got ${limit}`);
    }
    const lt = params.lt === undefined || params.lt === '' ? undefined : intParam(params, 'lt');
    const hash = hashParam(params.hash);
    if (hash && lt === undefined) throw new TonApiParamError('hash needs lt');
    try {
        const page = ctx.history.page(address, { lt, hash, toLt: intParam(params, 'to_lt', 0n), limit });
        return page.map((tx) => transactionJson(tx, address));
    } catch (err) {
        // toncenter's words for a start transaction the liteserver cannot find.
        if (err instanceof TransactionNotFoundError) throw new TonApiError(500, `LITE_SERVER_UNKNOWN: ${err.message}`);
        throw err;
    }
}

/** An external message from a BOC, as liteservers take them. */
function externalParam(params: Params): { cell: Cell; message: Message } {
    const cell = cellParam(params.boc, 'boc');
    let message: Message;
    try {
        message = loadMessage(cell.beginParse());
    } catch (err) {
        throw new TonApiParamError(`boc is not a message: ${(err as Error).message}`);
    }
    if (message.info.type !== 'external-in') {
        throw new TonApiParamError(`boc must be an inbound external message, got ${message.info.type}`);
    }
    return { cell, message };
}

/** Runs an external message and everything it causes, before answering (the devnet has no mempool). */
async function sendExternal(ctx: MethodContext, params: Params): Promise<Message> {
    const { message } = externalParam(params);
    const now = ctx.clock.tick();
    try {
        await ctx.blockchain.sendMessage(message);
    } catch (err) {
        // What a liteserver says when the account does not accept the message (bad signature, seqno, expired).
        throw new TonApiError(
            500,
            `LITE_SERVER_UNKNOWN: cannot apply external message to current state : ${emulationReason(err)} at chain time ${now}`,
        );
    }
    return message;
}

/** The sandbox's reason without its logs (kilobytes of them). */
function emulationReason(err: unknown): string {
    if (err instanceof EmulationError) {
        return `External message was not accepted: ${err.error}${err.exitCode !== undefined ? ` (exit code ${err.exitCode})` : ''}`;
    }
    return (err as Error).message ?? String(err);
}

/** The normalized hash of an external message (TEP-467): no source, no import fee, no state init, body as a ref. */
function normalizedHash(message: Message): Buffer {
    if (message.info.type !== 'external-in') throw new TypeError('not an inbound external message');
    const normalized = external({ to: message.info.dest, body: message.body });
    return beginCell()
        .store(storeMessage(normalized, { forceRef: true }))
        .endCell()
        .hash();
}

async function estimateFee(ctx: MethodContext, params: Params) {
    const address = addressParam(params);
    const body = cellParam(params.body, 'body');
    const initCode = params.init_code ? cellParam(params.init_code, 'init_code') : undefined;
    const initData = params.init_data ? cellParam(params.init_data, 'init_data') : undefined;
    const now = ctx.clock.tick();
    const current = await ctx.blockchain.getContract(address);
    const init = current.accountState?.type !== 'active' && initCode ? { code: initCode, data: initData } : undefined;
    // On a copy of the account: the estimate changes nothing on the chain.
    const copy = new SmartContract(current.account, ctx.blockchain);
    let tx: Transaction;
    try {
        tx = await copy.receiveMessage(external({ to: address, body, init }), {
            now,
            ignoreChksig: params.ignore_chksig === true || params.ignore_chksig === 'true',
        });
    } catch (err) {
        throw new TonApiError(
            500,
            `LITE_SERVER_UNKNOWN: cannot estimate the fee of this message: ${emulationReason(err)}`,
        );
    }
    const d = tx.description;
    const gas = d.type === 'generic' && d.computePhase.type === 'vm' ? d.computePhase.gasFees : 0n;
    const storage = d.type === 'generic' ? (d.storagePhase?.storageFeesCollected ?? 0n) : 0n;
    const actions = d.type === 'generic' ? (d.actionPhase?.totalActionFees ?? 0n) : 0n;
    const fwd = d.type === 'generic' ? (d.actionPhase?.totalFwdFees ?? 0n) : 0n;
    return {
        '@type': 'query.fees',
        source_fees: {
            '@type': 'fees',
            // What is left of the transaction's fees is the import fee of the inbound message.
            in_fwd_fee: Number(tx.totalFees.coins - gas - storage - actions),
            storage_fee: Number(storage),
            gas_fee: Number(gas),
            fwd_fee: Number(fwd),
        },
        destination_fees: [],
    };
}

/** The transaction on `destination` whose inbound message came from `source` at `created_lt`. */
function locateResult(ctx: MethodContext, params: Params) {
    const source = addressParam(params, 'source');
    const destination = addressParam(params, 'destination');
    const createdLt = intParam(params, 'created_lt');
    const tx = ctx.history.of(destination).find((t) => {
        const info = t.inMessage?.info;
        return info?.type === 'internal' && info.src.equals(source) && info.createdLt === createdLt;
    });
    if (!tx) throw new TonApiError(404, 'LITE_SERVER_UNKNOWN: transaction not found');
    return transactionJson(tx, destination);
}

export const METHODS: Record<string, Method> = {
    getAddressInformation: addressInformation,
    async getAddressBalance(ctx, params) {
        return (await ctx.blockchain.getContract(addressParam(params))).balance.toString();
    },
    async getAddressState(ctx, params) {
        return accountStateName((await ctx.blockchain.getContract(addressParam(params))).accountState?.type);
    },
    runGetMethod,
    getTransactions,
    async sendBoc(ctx, params) {
        await sendExternal(ctx, params);
        return { '@type': 'ok' };
    },
    async sendBocReturnHash(ctx, params) {
        const message = await sendExternal(ctx, params);
        const hash = beginCell().store(storeMessage(message)).endCell().hash();
        return {
            '@type': 'raw.extMessageInfo',
            hash: hash.toString('base64'),
            hash_norm: normalizedHash(message).toString('base64'),
        };
    },
    estimateFee,
    async getMasterchainInfo(ctx) {
        return {
            '@type': 'blocks.masterchainInfo',
            last: lastBlock(ctx),
            state_root_hash: lastBlock(ctx).root_hash,
            init: blockId(0),
        };
    },
    async getConfigParam(ctx, params) {
        const id = Number(intParam(params, 'config_id'));
        const config = Dictionary.loadDirect(Dictionary.Keys.Int(32), Dictionary.Values.Cell(), ctx.blockchain.config);
        const param = config.get(id);
        if (!param) throw new TonApiError(404, `config param ${id} is not set`);
        return { '@type': 'configInfo', config: { '@type': 'tvm.cell', bytes: param.toBoc().toString('base64') } };
    },
    async tryLocateTx(ctx, params) {
        return locateResult(ctx, params);
    },
    async tryLocateResultTx(ctx, params) {
        return locateResult(ctx, params);
    },
    async tryLocateSourceTx(ctx, params) {
        const source = addressParam(params, 'source');
        const destination = addressParam(params, 'destination');
        const createdLt = intParam(params, 'created_lt');
        const tx = ctx.history
            .of(source)
            .find((t) =>
                [...t.outMessages.values()].some(
                    (m) =>
                        m.info.type === 'internal' && m.info.dest.equals(destination) && m.info.createdLt === createdLt,
                ),
            );
        if (!tx) throw new TonApiError(404, 'LITE_SERVER_UNKNOWN: transaction not found');
        return transactionJson(tx, source);
    },
};

/** The devnet's answer to a method toncenter has and the devnet does not serve (blocks, shards, libraries). */
export function unknownMethod(name: string): TonApiError {
    return new TonApiError(
        404,
        `method ${name} is not served by the devnet's TON API (it serves ${Object.keys(METHODS).join(', ')})`,
    );
}
