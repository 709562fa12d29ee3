/**
 * Ledger recovery (`chrysalis proxy recover`, docs/proxy.md "Operations"): after Redis lost or rolled back the
 * proxy's counters, rebuild them so that the proxy never signs a cumulative total below one it signed before.
 *
 * Floors come from what outlives Redis:
 * - the chain: every ClientAccount's charged units and every WorkerAccount's paid units (the accounts are found in
 *   the Proxy contract's own transactions: OpenClientAccount, ChargeNotify, ClientClosed, OpenUndo, PayoutRequest);
 * - the vouchers workers and clients kept (a worker keeps its latest payout voucher on its disk), each checked
 *   against the proxy's key, plus any voucher still in Redis;
 * - what Redis still holds (a rollback leaves older, not empty, counters).
 * Each counter becomes the highest of these; the recovery time is recorded (the proxy then refuses requests that
 * may have been signed before it, whose charge records are gone) and a new commitment is made on chain, which
 * Redis's copy matches again. Tokens are what Redis counts and units what vouchers carry: a floor of U units becomes
 * the fewest tokens worth at least U units.
 */
import { Address, Cell, Transaction } from '@ton/core';
import { KeyPair } from '@ton/crypto';
import { Redis } from 'ioredis';
import { Chain, hashToBuffer, TxId, Wallet } from '../../chain';
import { RedisKeys } from '../../protocol/keys';
import { indexedEntries } from '../../protocol/keyIndex';
import { billingUnits, TokenMultipliersBps, verifyVoucher, VoucherOp } from '../../protocol/voucher';
import {
    loadChargeNotify,
    loadClientClosed,
    loadOpenClientAccount,
    loadOpenUndo,
    loadPayoutRequest,
    Proxy,
} from '../../../../wrappers/Proxy';
import { ClientAccount } from '../../../../wrappers/ClientAccount';
import { WorkerAccount, workerAccountFor } from '../../../../wrappers/WorkerAccount';
import { UsageCounters } from './counters';
import { proxyKeys as redisKeysOf } from './redisKeys';
import { Commitment, StateCommitter } from './stateCommit';
import { CommitterLock } from './committerLock';

/** A voucher as workers and clients keep it: the signed cell and signature, optionally the worker's owner. */
export interface KeptVoucher {
    voucher: string;
    signature: string;
    /** A worker's operator wallet (the payout counter is kept per owner); needed when the chain does not know it. */
    owner?: string;
}

export interface RecoveryOptions {
    chain: Chain;
    redis: Redis;
    prefix: string;
    proxyAddress: Address;
    proxyKeys: KeyPair;
    /** Pays the CommitState of the recovered state. */
    wallet: Wallet;
    vouchers: KeptVoucher[];
    /** How long to wait for a running proxy instance's committer lock (default 30 s: stop the proxies first). */
    lockWaitMs?: number;
}

/** The recovery's committer lease: long enough for its one commitment. */
const RECOVERY_LEASE_MS = 60_000;

export interface RecoveryReport {
    /** Chain time recorded as the recovery time. */
    recoveredAt: number;
    commitment: Commitment;
    /** Counters raised, by kind: `client`/`worker`, the account or owner, units before → after. */
    raised: Array<{ kind: 'client' | 'worker'; id: string; fromUnits: bigint; toUnits: bigint }>;
    clients: number;
    workers: number;
    /** Vouchers that were not used, and why. */
    ignored: string[];
}

export class RecoveryError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'RecoveryError';
    }
}

export async function recoverLedger(o: RecoveryOptions): Promise<RecoveryReport> {
    const proxy = o.chain.open(Proxy.fromAddress(o.proxyAddress));
    const [data, params] = await Promise.all([proxy.getProxyData(), proxy.getNetworkParams()]);
    if (data.publicKey !== BigInt('0x' + o.proxyKeys.publicKey.toString('hex'))) {
        throw new RecoveryError(
            `the Proxy contract at ${o.proxyAddress.toString()} holds another key than this proxy's`,
        );
    }
    const multipliers: TokenMultipliersBps = {
        prompt: params.promptMultiplierBps,
        cached: params.cachedMultiplierBps,
        completion: params.completionMultiplierBps,
        reasoning: params.reasoningMultiplierBps,
    };
    const tokensFor = (u: bigint) =>
        u === 0n || multipliers.prompt === 0n ? 0n : (u * 10000n + multipliers.prompt - 1n) / multipliers.prompt;
    const keys = redisKeysOf(o.prefix);

    // Floors in units: ClientAccount (raw) → units; worker owner (raw) → units.
    const clientFloors = new Map<string, bigint>();
    const workerFloors = new Map<string, bigint>();
    const raise = (m: Map<string, bigint>, k: string, u: bigint) => {
        if (u > (m.get(k) ?? 0n)) m.set(k, u);
    };

    // Owners known to the chain, to Redis (counters, announcements) and to the kept vouchers.
    const owners = await ownersOnChain(o.chain, o.proxyAddress);
    const workerOwners = new Map<string, Address>(owners.workers.map((a) => [a.toRawString(), a]));
    for (const raw of Object.keys(await o.redis.hgetall(keys.workerTokens))) addOwner(workerOwners, raw);
    for (const raw of await announcedOwners(o.redis, o.prefix)) addOwner(workerOwners, raw);
    for (const v of o.vouchers) if (v.owner) addOwner(workerOwners, v.owner);

    for (const { owner, opening } of owners.clients) {
        const account = await proxy.getClientAccountAddress(owner, opening);
        if (!(await isDeployed(o.chain, account))) continue;
        raise(
            clientFloors,
            account.toRawString(),
            (await o.chain.open(ClientAccount.fromAddress(account)).getAccountData()).charged,
        );
    }
    const workerAccounts = new Map<string, string>(); // WorkerAccount (raw) → owner (raw)
    for (const [raw, owner] of workerOwners) {
        const account = (await workerAccountFor(o.proxyAddress, owner, o.proxyKeys.publicKey)).address;
        workerAccounts.set(account.toRawString(), raw);
        if (!(await isDeployed(o.chain, account))) continue;
        raise(workerFloors, raw, (await o.chain.open(WorkerAccount.fromAddress(account)).getWorkerData()).paid);
    }

    // Vouchers: the ones handed in and any payout voucher still in Redis. No expiry check: an expired voucher was
    // still signed, and a total below it must not be signed again.
    const ignored: string[] = [];
    const stored = await payoutVouchersInRedis(o.redis, o.prefix);
    for (const [i, kept] of [...o.vouchers, ...stored].entries()) {
        let cell: Cell;
        let signature: Buffer;
        try {
            cell = Cell.fromBase64(kept.voucher);
            signature = Buffer.from(kept.signature, 'hex');
        } catch {
            ignored.push(`voucher #${i + 1}: not a voucher (base64 cell and hex signature)`);
            continue;
        }
        const v = verifyVoucher({ voucher: cell, signature }, o.proxyKeys.publicKey);
        if (!v) {
            ignored.push(`voucher #${i + 1}: not signed by this proxy's key`);
            continue;
        }
        const target = v.target.toRawString();
        if (v.op === VoucherOp.charge) {
            raise(clientFloors, target, v.cumulative);
        } else if (v.op === VoucherOp.payout) {
            const owner = workerAccounts.get(target);
            if (owner) raise(workerFloors, owner, v.cumulative);
            else
                ignored.push(
                    `voucher #${i + 1}: payout to ${v.target.toString()}, whose owner is unknown (give it with the voucher)`,
                );
        } else {
            ignored.push(`voucher #${i + 1}: neither a charge nor a payout voucher`);
        }
    }

    // Raise the counters (never lower one), record the recovery, and commit.
    const [clientTokens, workerTokens] = await Promise.all([
        o.redis.hgetall(keys.clientTokens),
        o.redis.hgetall(keys.workerTokens),
    ]);
    const raised: RecoveryReport['raised'] = [];
    const multi = o.redis.multi();
    for (const [kind, floors, current, key] of [
        ['client', clientFloors, clientTokens, keys.clientTokens],
        ['worker', workerFloors, workerTokens, keys.workerTokens],
    ] as const) {
        for (const [id, floor] of floors) {
            // Every token kind counts toward the floor (fields `<id>` = prompt, `<id>#<kind>` = the others); the
            // deficit is made up in prompt tokens.
            const counts = {
                prompt: BigInt(current[id] ?? '0'),
                cached: BigInt(current[`${id}#cached`] ?? '0'),
                completion: BigInt(current[`${id}#completion`] ?? '0'),
                reasoning: BigInt(current[`${id}#reasoning`] ?? '0'),
            };
            const have = billingUnits(counts, multipliers);
            if (have >= floor) continue;
            multi.hset(key, id, (counts.prompt + tokensFor(floor - have)).toString());
            raised.push({ kind, id, fromUnits: have, toUnits: floor });
        }
    }
    const recoveredAt = await o.chain.now();
    multi.hset(keys.recovery, { at: String(recoveredAt) });
    multi.set(keys.uncommitted, '0');
    const res = await multi.exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed)
        throw new RecoveryError(`writing the recovered counters failed: ${failed?.[0]?.message ?? 'aborted'}`);

    const counters = new UsageCounters(o.redis, o.prefix);
    // The recovery commits as a committer of its own: a newer token than any proxy instance's, so none of them can
    // overwrite the recovered commitment record; the lock is released at once for the restarted proxies.
    const lock = new CommitterLock(o.redis, o.prefix, { leaseMs: RECOVERY_LEASE_MS });
    await lock.acquireWithin(o.lockWaitMs ?? 30_000);
    const committer = new StateCommitter(
        o.chain,
        o.redis,
        o.prefix,
        o.proxyAddress,
        o.proxyKeys.secretKey,
        o.wallet,
        counters,
        lock,
    );
    const commitment = await committer.commit({ overMismatch: true }).finally(() => lock.release());
    return {
        recoveredAt,
        commitment,
        raised,
        clients: new Set([...clientFloors.keys(), ...Object.keys(clientTokens)]).size,
        workers: new Set([...workerFloors.keys(), ...Object.keys(workerTokens)]).size,
        ignored,
    };
}

function addOwner(into: Map<string, Address>, text: string): void {
    try {
        const a = Address.parse(text);
        into.set(a.toRawString(), a);
    } catch {
        // not an address: nothing to recover for it
    }
}

async function isDeployed(chain: Chain, address: Address): Promise<boolean> {
    return (await chain.provider(address).getState()).state.type === 'active';
}

/** A ClientAccount as the Proxy knows it: its owner and its opening (a new opening is a new account). */
export interface ClientOpening {
    owner: Address;
    opening: bigint;
}

/**
 * Every client account (owner and opening) and worker owner that ever dealt with the Proxy contract, from the
 * messages it received.
 */
export async function ownersOnChain(
    chain: Chain,
    proxyAddress: Address,
): Promise<{ clients: ClientOpening[]; workers: Address[] }> {
    const clients = new Map<string, ClientOpening>();
    const workers = new Map<string, Address>();
    const add = (m: Map<string, Address>, a: Address) => m.set(a.toRawString(), a);
    const addClient = (owner: Address, opening: bigint) =>
        clients.set(`${owner.toRawString()}/${opening}`, { owner, opening });
    let from: TxId | null = await chain.lastTransaction(proxyAddress);
    const pageSize = 32;
    while (from) {
        const page: Transaction[] = await chain.transactionsFrom(proxyAddress, from, pageSize);
        for (const tx of page) {
            const msg = tx.inMessage;
            if (!msg || msg.info.type !== 'internal') continue;
            const read = <T>(load: (s: ReturnType<Cell['beginParse']>) => T): T | null => {
                try {
                    return load(msg.body.beginParse());
                } catch {
                    return null;
                }
            };
            const open = read(loadOpenClientAccount);
            if (open) addClient(msg.info.src, open.opening);
            const client = read(loadChargeNotify) ?? read(loadClientClosed) ?? read(loadOpenUndo);
            if (client) addClient(client.owner, client.opening);
            const payout = read(loadPayoutRequest);
            if (payout) add(workers, payout.owner);
        }
        const oldest = page[page.length - 1];
        from =
            page.length === pageSize && oldest && oldest.prevTransactionLt !== 0n
                ? { lt: oldest.prevTransactionLt, hash: hashToBuffer(oldest.prevTransactionHash) }
                : null;
    }
    return { clients: [...clients.values()], workers: [...workers.values()] };
}

async function announcedOwners(redis: Redis, prefix: string): Promise<string[]> {
    const out: string[] = [];
    const keyOf = (member: string) => RedisKeys.announcement(prefix, member);
    for (const { value: raw } of await indexedEntries(redis, RedisKeys.announcementIndex(prefix), keyOf)) {
        try {
            const owner = (JSON.parse(raw) as { owner?: unknown }).owner;
            if (typeof owner === 'string') out.push(owner);
        } catch {
            // unreadable announcement: its owner, if any, comes from elsewhere
        }
    }
    return out;
}

async function payoutVouchersInRedis(redis: Redis, prefix: string): Promise<KeptVoucher[]> {
    const out: KeptVoucher[] = [];
    const keyOf = (member: string) => RedisKeys.payout(prefix, member);
    for (const { value: raw } of await indexedEntries(redis, RedisKeys.payoutIndex(prefix), keyOf)) {
        try {
            const v = JSON.parse(raw) as KeptVoucher | null;
            if (v && typeof v.voucher === 'string' && typeof v.signature === 'string') out.push(v);
        } catch {
            // malformed: Redis is untrusted, only signed vouchers count
        }
    }
    return out;
}
