/**
 * Payout vouchers, signed lazily. Serving a request only bumps the worker owner's cumulative counter (in the charge
 * script) and marks the worker here; the voucher over the owner's latest total is signed when someone needs it: the
 * worker asking (`GET /v1/payouts/:workerKey`), the periodic flush of the proxy role, its stop, or a settlement that
 * flushes before claiming. Each signing reads the counter after the charges it covers, so a voucher never carries
 * more than was served, and the stored copy (`RedisKeys.payout`, what the worker falls back to) only moves forward:
 * several proxy instances sign for the same workers, so the store is a script that keeps whichever voucher is
 * further ahead (higher cumulative, then later validUntil), never the last one written.
 */
import { Address } from '@ton/core';
import { Redis } from 'ioredis';
import { Chain } from '../../chain';
import { RoleMetrics } from '../../observability';
import { RedisKeys, StoredPayoutVoucher } from '../../protocol/keys';
import { indexedEntries, indexPayoutVoucher } from '../../protocol/keyIndex';
import { UsageCounters } from './counters';
import { VoucherJson, VoucherSigner } from './vouchers';
import { WorkerAdmissionPort } from './workers';

export type PayoutVoucher = StoredPayoutVoucher & VoucherJson;

/**
 * KEYS[1] the stored voucher; ARGV: the new one (JSON), its cumulative (decimal) and validUntil. Decimal strings of
 * any length compare exactly (length first, then text). 1 = stored, 0 = the stored one is ahead and stays.
 */
const STORE_SCRIPT = `
local old = redis.call('GET', KEYS[1])
if old then
    local ok, v = pcall(cjson.decode, old)
    if ok and type(v) == 'table' and type(v.cumulative) == 'string' and string.match(v.cumulative, '^%d+$') then
        local a, b = ARGV[2], v.cumulative
        if #a < #b or (#a == #b and a < b) then return 0 end
        if a == b and tonumber(ARGV[3]) <= (tonumber(v.validUntil) or 0) then return 0 end
    end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;
const STORE_COMMAND = 'chrysalisProxyStorePayout';
type StoreCommand = (key: string, json: string, cumulative: string, validUntil: string) => Promise<number>;

/**
 * Stores a worker's payout voucher where the worker reads it, unless the stored one is further ahead (signed by
 * another instance from a later counter); true when stored.
 */
export async function storePayoutVoucher(
    redis: Redis,
    prefix: string,
    workerKey: string,
    voucher: StoredPayoutVoucher & { validUntil: number },
): Promise<boolean> {
    if (!(STORE_COMMAND in redis)) redis.defineCommand(STORE_COMMAND, { numberOfKeys: 1, lua: STORE_SCRIPT });
    const command = (redis as unknown as Record<string, StoreCommand>)[STORE_COMMAND];
    const stored = await command.call(
        redis,
        RedisKeys.payout(prefix, workerKey),
        JSON.stringify(voucher),
        voucher.cumulative,
        String(voucher.validUntil),
    );
    // After the store, whatever it returned: the voucher key exists either way (this one or one further ahead).
    await indexPayoutVoucher(redis, prefix, workerKey);
    return stored === 1;
}

export interface PayoutVouchersDeps {
    chain: Chain;
    redis: Redis;
    prefix: string;
    counters: UsageCounters;
    signer: VoucherSigner;
    admission: Pick<WorkerAdmissionPort, 'admittedWorker'>;
    metrics: RoleMetrics;
    validitySeconds: number;
}

export class PayoutVouchers {
    /** Worker keys that served since their stored voucher was last written, with their owner. */
    private dirty = new Map<string, Address>();
    /** Owner of every worker key seen serving (a demoted worker still gets its last voucher). */
    private readonly owners = new Map<string, Address>();
    /** The last voucher signed per owner: re-signed only when the total moved or half its validity is gone. */
    private readonly latest = new Map<string, PayoutVoucher>();
    /** Signing and storing run one at a time, so an older voucher never overwrites a newer one in Redis. */
    private queue: Promise<unknown> = Promise.resolve();

    constructor(private readonly d: PayoutVouchersDeps) {}

    private store(workerKey: string, voucher: StoredPayoutVoucher & { validUntil: number }): Promise<boolean> {
        return storePayoutVoucher(this.d.redis, this.d.prefix, workerKey, voucher);
    }

    /** Called after a request was charged (its tokens are already in the owner's counter). */
    served(workerKey: string, owner: Address): void {
        this.dirty.set(workerKey, owner);
        this.owners.set(workerKey, owner);
    }

    /** Workers that served since the last flush. */
    get pending(): number {
        return this.dirty.size;
    }

    /** Signs the latest voucher of every worker that served since the last flush and stores them. */
    flush(): Promise<number> {
        return this.serialised(async () => {
            // Taken before the counters are read: a charge landing after this is marked again for the next flush.
            const batch = this.dirty;
            this.dirty = new Map();
            if (!batch.size) return 0;
            const now = await this.d.chain.now();
            try {
                const signed = await Promise.all(
                    [...batch].map(async ([k, o]) => [k, await this.sign(o, now)] as const),
                );
                // One script per worker (their keys live in different slots of a cluster), sent together.
                await Promise.all(signed.map(([workerKey, voucher]) => this.store(workerKey, voucher)));
            } catch (err) {
                for (const [k, o] of batch) if (!this.dirty.has(k)) this.dirty.set(k, o);
                throw err;
            }
            return batch.size;
        });
    }

    /** The latest payout voucher for a worker's owner, signed now if needed and stored; null for an unknown worker. */
    forWorker(workerKey: string): Promise<PayoutVoucher | null> {
        const key = workerKey.toLowerCase();
        return this.serialised(async () => {
            const owner = await this.ownerOf(key);
            if (!owner) return null;
            this.dirty.delete(key);
            const voucher = await this.sign(owner, await this.d.chain.now());
            await this.store(key, voucher);
            return voucher;
        });
    }

    /**
     * Before a close: signs the latest voucher of every worker this proxy knows (seen serving since it started,
     * recorded by a charge, or holding a stored voucher from before), valid until `validUntil`, and stores each where
     * the worker reads it. A worker whose owner cannot be found (a voucher stored by a proxy older than the charges'
     * record) keeps its stored voucher. Returns the vouchers by worker key.
     */
    publishAll(validUntil: number): Promise<Map<string, StoredPayoutVoucher>> {
        return this.serialised(async () => {
            const out = new Map<string, StoredPayoutVoucher>();
            const [stored, served] = await Promise.all([this.storedWorkerKeys(), this.d.counters.servedWorkerKeys()]);
            const now = await this.d.chain.now();
            for (const key of new Set([...this.owners.keys(), ...served, ...stored])) {
                const owner = await this.ownerOf(key);
                if (!owner) {
                    const old = await this.d.redis.get(RedisKeys.payout(this.d.prefix, key));
                    if (old) out.set(key, JSON.parse(old) as StoredPayoutVoucher);
                    continue;
                }
                const id = owner.toRawString();
                const voucher = await this.d.signer.payout(
                    owner,
                    await this.d.counters.workerCounts(id),
                    now,
                    validUntil,
                );
                this.latest.set(id, voucher);
                this.dirty.delete(key);
                this.d.metrics.vouchersSigned.inc({ kind: 'payout' });
                await this.store(key, voucher);
                out.set(key, voucher);
            }
            return out;
        });
    }

    /**
     * Worker keys with a stored payout voucher under this proxy's prefix, from the index (not a SCAN: that walks the
     * whole keyspace, protocol/keyIndex.ts); a member whose voucher was deleted is pruned and left out.
     */
    private async storedWorkerKeys(): Promise<string[]> {
        const { redis, prefix } = this.d;
        const stored = await indexedEntries(redis, RedisKeys.payoutIndex(prefix), (m) => RedisKeys.payout(prefix, m));
        return stored.map((e) => e.member);
    }

    /**
     * Whose counter pays a worker key: the owner seen serving in this process, else the admitted worker's, else the
     * one the charges recorded (a worker that served before a restart of this proxy and is no longer admitted, dead or
     * demoted, is still paid what it served).
     */
    private async ownerOf(key: string): Promise<Address | null> {
        const known = this.owners.get(key) ?? (await this.d.admission.admittedWorker(key))?.owner;
        if (known) return known;
        const recorded = await this.d.counters.ownerOfWorkerKey(key);
        return recorded ? Address.parse(recorded) : null;
    }

    private async sign(owner: Address, now: number): Promise<PayoutVoucher> {
        const id = owner.toRawString();
        const tokens = await this.d.counters.workerCounts(id);
        const cached = this.latest.get(id);
        if (
            cached &&
            cached.cumulative === this.d.signer.units(tokens).toString() &&
            cached.validUntil - now > this.d.validitySeconds / 2
        ) {
            return cached;
        }
        const voucher = await this.d.signer.payout(owner, tokens, now);
        this.latest.set(id, voucher);
        this.d.metrics.vouchersSigned.inc({ kind: 'payout' });
        return voucher;
    }

    private serialised<T>(task: () => Promise<T>): Promise<T> {
        const next = this.queue.then(task);
        this.queue = next.catch(() => undefined);
        return next;
    }
}
