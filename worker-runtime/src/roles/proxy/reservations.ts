/**
 * Reservations: before a request (tensor or generative) is dispatched, its maximum cost in billing units is set aside
 * against what the account can still pay, in one Lua script, so concurrent requests from one account can never
 * together be served beyond its balance (docs/proxy.md, "Admission"):
 *
 *   units(metered totals) + Σ reserved + this request's maximum  ≤  charged on chain + ⌊balance / price⌋
 *
 * where `units` is the vouchers' own rounding (⌊Σ tokens × multiplier_bps / 10000⌋ of the cumulative totals of the
 * four token kinds) and a maximum is rounded up. The charge script (counters.ts) releases the reservation in the same
 * step that adds the real tokens; a request that fails releases it here.
 *
 * Each account has one hash `<prefix>:proxy:{<prefix>}:reserved:<account>`: request id → `units|expiresAtMs|bodyDigest`.
 * Expired entries (a proxy that died mid-request) are dropped by the next reservation. The body digest binds the
 * request id to one body: a second, different body under an id in flight is a conflict (409), before it is queued.
 * Lua numbers are doubles: exact below 2^53 weighted units, i.e. ~9·10^11 tokens at a 10000 bps multiplier.
 */
import { Redis } from 'ioredis';
import { TokenMultipliersBps } from '../../protocol/voucher';
import { proxyKeys } from './redisKeys';

const RESERVE_SCRIPT = `
if redis.call('EXISTS', KEYS[4]) == 1 then return {-3, '', ''} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {-2, '', ''} end
local function n(v) return tonumber(v or '0') or 0 end
local who = ARGV[1]
local weighted = n(redis.call('HGET', KEYS[1], who)) * n(ARGV[8])
    + n(redis.call('HGET', KEYS[1], who .. '#cached')) * n(ARGV[9])
    + n(redis.call('HGET', KEYS[1], who .. '#completion')) * n(ARGV[10])
    + n(redis.call('HGET', KEYS[1], who .. '#reasoning')) * n(ARGV[11])
local metered = math.floor(weighted / 10000)
local all = redis.call('HGETALL', KEYS[2])
local reserved = 0
for i = 1, #all, 2 do
    local id, v = all[i], all[i + 1]
    local units, exp, digest = string.match(v, '^(%d+)|(%d+)|(%x*)$')
    if units == nil or tonumber(exp) <= tonumber(ARGV[6]) then
        redis.call('HDEL', KEYS[2], id)
    elseif id == ARGV[2] then
        return {-1, digest, ''}
    else
        reserved = reserved + tonumber(units)
    end
end
if metered + reserved + n(ARGV[4]) > n(ARGV[5]) then
    return {0, string.format('%.0f', metered), string.format('%.0f', reserved)}
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4] .. '|' .. ARGV[7] .. '|' .. ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[7])
return {1, string.format('%.0f', metered), string.format('%.0f', reserved + n(ARGV[4]))}
`;

const RESERVE_COMMAND = 'chrysalisProxyReserve';
type ReserveCommand = (...args: string[]) => Promise<[number, string, string]>;

export type ReserveOutcome =
    /** Set aside; `reserved` counts this request's units too. */
    | { kind: 'reserved'; metered: bigint; reserved: bigint }
    /** The account cannot pay `units` more: `metered` units are metered and `reserved` are held by requests in flight. */
    | { kind: 'insufficient'; metered: bigint; reserved: bigint }
    /** The request id is in flight already, with this body digest (the same body twice, or a conflicting one). */
    | { kind: 'in_flight'; digest: string }
    /** The request id was served and charged already. */
    | { kind: 'served' }
    /** The proxy's close has begun (on any of its instances): no new request is admitted. */
    | { kind: 'closing' };

export class Reservations {
    private readonly keys: ReturnType<typeof proxyKeys>;

    constructor(
        private readonly redis: Redis,
        prefix: string,
        /** The multipliers of the proxy's price snapshot (the vouchers' weighting of the four token kinds). */
        private readonly multipliers: TokenMultipliersBps,
        /** How long a reservation outlives a proxy that died holding it. */
        private readonly ttlMs = 3_600_000,
    ) {
        this.keys = proxyKeys(prefix);
        if (!(RESERVE_COMMAND in redis)) redis.defineCommand(RESERVE_COMMAND, { numberOfKeys: 4, lua: RESERVE_SCRIPT });
    }

    key(account: string): string {
        return this.keys.reserved(account);
    }

    /**
     * Reserves `units` for `requestId` when the account's metered units, the units reserved in flight and these
     * together stay within `budget` (charged on chain + ⌊balance / price⌋). `digest` (hex) binds the id to one body.
     */
    async reserve(args: {
        account: string;
        requestId: string;
        digest: string;
        units: bigint;
        budget: bigint;
    }): Promise<ReserveOutcome> {
        const now = Date.now();
        const m = this.multipliers;
        const command = (this.redis as unknown as Record<string, ReserveCommand>)[RESERVE_COMMAND];
        const [code, a, b] = await command.call(
            this.redis,
            this.keys.clientTokens,
            this.keys.reserved(args.account),
            this.keys.charged(args.requestId),
            this.keys.closing,
            args.account,
            args.requestId,
            args.digest,
            args.units.toString(),
            args.budget.toString(),
            String(now),
            String(now + this.ttlMs),
            m.prompt.toString(),
            m.cached.toString(),
            m.completion.toString(),
            m.reasoning.toString(),
        );
        if (code === 1) return { kind: 'reserved', metered: BigInt(a), reserved: BigInt(b) };
        if (code === 0) return { kind: 'insufficient', metered: BigInt(a), reserved: BigInt(b) };
        if (code === -1) return { kind: 'in_flight', digest: a };
        if (code === -3) return { kind: 'closing' };
        return { kind: 'served' };
    }

    /** Drops a request's reservation (it failed or was refused after reserving). */
    async release(account: string, requestId: string): Promise<void> {
        await this.redis.hdel(this.keys.reserved(account), requestId);
    }

    /** Units held by the account's unexpired reservations. */
    async reservedUnits(account: string): Promise<bigint> {
        const now = Date.now();
        const values = await this.redis.hvals(this.keys.reserved(account));
        return values.reduce((sum, v) => {
            const [units, exp] = v.split('|');
            return Number(exp) > now ? sum + BigInt(units) : sum;
        }, 0n);
    }
}
