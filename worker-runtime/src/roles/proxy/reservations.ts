/**
 * Reservations: before a generative request is queued, the proxy sets aside its maximum cost in billing units, in
 * one atomic step against what the account can still pay (docs/proxy.md, "Admission"):
 *
 *   units(metered totals) + Σ reserved + this request's maximum  ≤  charged on chain + ⌊balance / price⌋
 *
 * where `units` is the vouchers' own rounding (⌊Σ tokens × multiplier_bps / 10000⌋ of the cumulative totals) and a
 * maximum is rounded up. N concurrent requests that together exceed the balance: the script admits them one at a
 * time, so the excess are refused and none is served for free. Each reservation is a field of the account's hash
 * (request id → units) that the request releases when it is charged; the hash expires, so a proxy that died
 * mid-request does not hold the money for ever. Lua numbers are doubles: exact below 2^53 weighted units, i.e.
 * ~9·10^11 tokens at a 10000 bps multiplier, far beyond any account.
 */
import { Redis } from 'ioredis';
import { TokenMultipliersBps } from '../../protocol/voucher';

const RESERVE_SCRIPT = `
local function n(v) return tonumber(v or '0') or 0 end
local who = ARGV[1]
local weighted = n(redis.call('HGET', KEYS[1], who)) * n(ARGV[3])
    + n(redis.call('HGET', KEYS[1], who .. '#cached')) * n(ARGV[4])
    + n(redis.call('HGET', KEYS[1], who .. '#completion')) * n(ARGV[5])
    + n(redis.call('HGET', KEYS[1], who .. '#reasoning')) * n(ARGV[6])
local metered = math.floor(weighted / 10000)
local reserved = 0
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do reserved = reserved + n(v) end
local amount = n(ARGV[7])
if metered + reserved + amount > n(ARGV[2]) then
    return {0, tostring(metered), tostring(reserved)}
end
redis.call('HSET', KEYS[2], ARGV[8], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[9])
return {1, tostring(metered), tostring(reserved + amount)}
`;

const RESERVE_COMMAND = 'chrysalisProxyReserve';
type ReserveCommand = (...args: string[]) => Promise<[number, string, string]>;

export interface ReservationOutcome {
    ok: boolean;
    /** Units already metered for the account (charged on chain or not). */
    metered: bigint;
    /** Units reserved by requests in flight (this one included when ok). */
    reserved: bigint;
}

export class Reservations {
    constructor(
        private readonly redis: Redis,
        private readonly prefix: string,
        /** The hash of per-client token totals the charge script keeps (counters.ts). */
        private readonly clientTotalsKey: string,
        private readonly multipliers: TokenMultipliersBps,
        private readonly ttlSeconds = 3600,
    ) {
        if (!(RESERVE_COMMAND in redis)) redis.defineCommand(RESERVE_COMMAND, { numberOfKeys: 2, lua: RESERVE_SCRIPT });
    }

    key(client: string): string {
        return `${this.prefix}:proxy:reserved:${client}`;
    }

    /** Reserves `units` for `requestId` if the account's budget (charged + ⌊balance / price⌋) covers it. */
    async reserve(client: string, requestId: string, units: bigint, budget: bigint): Promise<ReservationOutcome> {
        const command = (this.redis as unknown as Record<string, ReserveCommand>)[RESERVE_COMMAND];
        const m = this.multipliers;
        const res = await command.call(
            this.redis,
            this.clientTotalsKey,
            this.key(client),
            client,
            budget.toString(),
            m.prompt.toString(),
            m.cached.toString(),
            m.completion.toString(),
            m.reasoning.toString(),
            units.toString(),
            requestId,
            String(this.ttlSeconds),
        );
        return { ok: res[0] === 1, metered: BigInt(res[1]), reserved: BigInt(res[2]) };
    }

    async release(client: string, requestId: string): Promise<void> {
        await this.redis.hdel(this.key(client), requestId);
    }

    async reservedUnits(client: string): Promise<bigint> {
        const values = await this.redis.hvals(this.key(client));
        return values.reduce((sum, v) => sum + BigInt(v), 0n);
    }
}
