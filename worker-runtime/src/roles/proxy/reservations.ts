/**
 * Reservations: before a request is dispatched, its maximum cost (metering.ts `maxTokens`) is set aside against what
 * the account can still pay — its on-chain balance, less what the proxy metered but the chain has not charged yet,
 * less what requests in flight have reserved — in one Lua script, so concurrent requests from one account can never
 * together be served beyond its balance. The charge script (counters.ts) releases the reservation in the same step
 * that adds the real tokens; a request that fails releases it here.
 *
 * Each account has one hash `<prefix>:proxy:reserved:<account>`: request id → `maxTokens|expiresAtMs|bodyDigest`.
 * Expired entries (a proxy that died mid-request) are dropped by the next reservation. The body digest binds the
 * request id to one body: a second, different body under an id in flight is a conflict (409), before it is queued.
 */
import { Redis } from 'ioredis';
import { proxyKeys } from './redisKeys';

const RESERVE_SCRIPT = `
if redis.call('EXISTS', KEYS[3]) == 1 then return {-2, ''} end
local metered = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local all = redis.call('HGETALL', KEYS[2])
local reserved = 0
for i = 1, #all, 2 do
    local id, v = all[i], all[i + 1]
    local max, exp, digest = string.match(v, '^(%d+)|(%d+)|(%x*)$')
    if tonumber(exp) <= tonumber(ARGV[6]) then
        redis.call('HDEL', KEYS[2], id)
    elseif id == ARGV[2] then
        return {-1, digest}
    else
        reserved = reserved + tonumber(max)
    end
end
if metered + reserved + tonumber(ARGV[4]) > tonumber(ARGV[5]) then return {0, tostring(metered + reserved)} end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4] .. '|' .. ARGV[7] .. '|' .. ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[7])
return {1, tostring(metered + reserved)}
`;

const RESERVE_COMMAND = 'chrysalisProxyReserve';
type ReserveCommand = (...args: string[]) => Promise<[number, string]>;

export type ReserveOutcome =
    | { kind: 'reserved' }
    /** The account cannot pay `maxTokens` more: `committed` tokens are metered or reserved already. */
    | { kind: 'insufficient'; committed: bigint }
    /** The request id is in flight already, with this body digest (the same body twice, or a conflicting one). */
    | { kind: 'in_flight'; digest: string }
    /** The request id was served and charged already. */
    | { kind: 'served' };

export class Reservations {
    private readonly keys: ReturnType<typeof proxyKeys>;

    constructor(
        private readonly redis: Redis,
        prefix: string,
        /** How long a reservation outlives a proxy that died holding it. */
        private readonly ttlMs: number,
    ) {
        this.keys = proxyKeys(prefix);
        if (!(RESERVE_COMMAND in redis)) redis.defineCommand(RESERVE_COMMAND, { numberOfKeys: 3, lua: RESERVE_SCRIPT });
    }

    /**
     * Reserves `maxTokens` for `requestId` when the account's metered, reserved and new tokens together stay within
     * `limitTokens` (the most tokens its on-chain balance and charged units pay for).
     */
    async reserve(args: {
        account: string;
        requestId: string;
        digest: string;
        maxTokens: bigint;
        limitTokens: bigint;
    }): Promise<ReserveOutcome> {
        const now = Date.now();
        const command = (this.redis as unknown as Record<string, ReserveCommand>)[RESERVE_COMMAND];
        const [code, detail] = await command.call(
            this.redis,
            this.keys.clientTokens,
            this.keys.reserved(args.account),
            this.keys.charged(args.requestId),
            args.account,
            args.requestId,
            args.digest,
            args.maxTokens.toString(),
            args.limitTokens.toString(),
            String(now),
            String(now + this.ttlMs),
        );
        if (code === 1) return { kind: 'reserved' };
        if (code === 0) return { kind: 'insufficient', committed: BigInt(detail) };
        if (code === -1) return { kind: 'in_flight', digest: detail };
        return { kind: 'served' };
    }

    /** Drops a request's reservation (it failed or was refused after reserving). */
    async release(account: string, requestId: string): Promise<void> {
        await this.redis.hdel(this.keys.reserved(account), requestId);
    }
}
