/**
 * Cumulative usage counters, the single source of the vouchers the proxy signs. One Lua script charges a request:
 * it claims the request id (SET NX), adds the tokens to the client's and the worker owner's running totals and
 * counts the change for the next state commitment, releases the request's reservation (reservations.ts) and records
 * whose the serving worker key is (for its payout, whoever asks later), all in one atomic step, so a request is billed
 * exactly once however often it is delivered, retried or raced, and the two totals never disagree.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { TokenCounts } from '../../protocol/voucher';
import { FENCE_CHECK } from './committerLock';
import { proxyKeys } from './redisKeys';

const CHARGE_SCRIPT = `
redis.call('HDEL', KEYS[6], ARGV[9])
local kinds = {'', '#cached', '#completion', '#reasoning'}
local function totals(key, who)
    local out = {}
    for i, suffix in ipairs(kinds) do out[i] = redis.call('HGET', key, who .. suffix) or '0' end
    return out
end
if redis.call('SET', KEYS[1], ARGV[3], 'NX', 'EX', ARGV[4]) == false then
    return {0, totals(KEYS[2], ARGV[1]), totals(KEYS[3], ARGV[2]), redis.call('GET', KEYS[1]),
        redis.call('GET', KEYS[4]) or '0'}
end
for i, suffix in ipairs(kinds) do
    local n = ARGV[4 + i]
    if n ~= '0' then
        redis.call('HINCRBY', KEYS[2], ARGV[1] .. suffix, n)
        redis.call('HINCRBY', KEYS[3], ARGV[2] .. suffix, n)
    end
end
if ARGV[10] ~= '' then redis.call('HSET', KEYS[7], ARGV[10], ARGV[2]) end
local u = redis.call('INCR', KEYS[4])
local n = redis.call('INCR', KEYS[5])
return {1, totals(KEYS[2], ARGV[1]), totals(KEYS[3], ARGV[2]), ARGV[3], tostring(u), tostring(n)}
`;

/** KEYS: fence, uncommitted; ARGV: token, covered (committerLock.ts). */
const MARK_COMMITTED_SCRIPT = `${FENCE_CHECK}
redis.call('DECRBY', KEYS[2], ARGV[2])
return 1
`;
const MARK_COMMITTED_COMMAND = 'chrysalisProxyMarkCommitted';

/**
 * A request's charged record and the client's running totals, in one command: a pipeline of two would cost a second
 * command, and ioredis builds each pipeline by copying every script command defined on the connection.
 */
const LOOKUP_SCRIPT = `return {redis.call('GET', KEYS[1]), redis.call('HMGET', KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])}`;
const LOOKUP_COMMAND = 'chrysalisProxyLookup';
type LookupCommand = (...args: string[]) => Promise<[string | null, (string | null)[]]>;

/** The script is loaded once per connection and then called by its SHA (EVALSHA), not sent with every charge. */
const CHARGE_COMMAND = 'chrysalisProxyCharge';
type ChargeCommand = (...args: string[]) => Promise<[number, string[], string[], string, string, string?]>;

/** Hash field suffixes of the token kinds: the prompt kind is the bare account (the field every tensor charge uses). */
const KIND_SUFFIX: Record<keyof TokenCounts, string> = {
    prompt: '',
    cached: '#cached',
    completion: '#completion',
    reasoning: '#reasoning',
};
const KINDS = Object.keys(KIND_SUFFIX) as (keyof TokenCounts)[];

export const ZERO_COUNTS: Readonly<TokenCounts> = Object.freeze({
    prompt: 0n,
    cached: 0n,
    completion: 0n,
    reasoning: 0n,
});

function countsFrom(values: (string | null)[]): TokenCounts {
    return {
        prompt: BigInt(values[0] ?? '0'),
        cached: BigInt(values[1] ?? '0'),
        completion: BigInt(values[2] ?? '0'),
        reasoning: BigInt(values[3] ?? '0'),
    };
}

export interface ChargeOutcome {
    /** False when this request id had been charged before (nothing was added). */
    charged: boolean;
    /** The client's cumulative prompt-kind tokens after the charge (all a tensor model ever meters). */
    clientTokens: bigint;
    /** The worker owner's cumulative prompt-kind tokens after the charge. */
    workerTokens: bigint;
    /** The client's cumulative tokens of every kind after the charge (what its voucher's units are computed from). */
    clientCounts: TokenCounts;
    /** The worker owner's cumulative tokens of every kind after the charge. */
    workerCounts: TokenCounts;
    /** The record stored for the request (this call's, or the first one's). */
    record: string;
    /** Charges since the last commitment, this one included. */
    uncommitted: number;
}

export class UsageCounters {
    private readonly keys: ReturnType<typeof proxyKeys>;
    /**
     * The highest charge count this process has seen Redis return. The count only grows (every charge adds one, and
     * nothing ever subtracts), so Redis answering less than this means its data went back in time: a restored
     * snapshot or a wipe, even one that left the commitment record as it was (see stateCommit.ts).
     */
    private seenChargeCount = 0;

    constructor(
        private readonly redis: Redis,
        prefix: string,
        private readonly recordTtlSeconds = 30 * 86400,
    ) {
        this.keys = proxyKeys(prefix);
        if (!(CHARGE_COMMAND in redis)) {
            redis.defineCommand(CHARGE_COMMAND, { numberOfKeys: 7, lua: CHARGE_SCRIPT });
            redis.defineCommand(MARK_COMMITTED_COMMAND, { numberOfKeys: 2, lua: MARK_COMMITTED_SCRIPT });
        }
        if (!(LOOKUP_COMMAND in redis)) redis.defineCommand(LOOKUP_COMMAND, { numberOfKeys: 2, lua: LOOKUP_SCRIPT });
    }

    async charge(args: {
        requestId: string;
        client: string;
        workerOwner: string;
        /** The worker key that served it: recorded as the owner's (workerKeyOwners), for its payout later. */
        workerKey?: string;
        /** Prompt-kind tokens (tensor models meter only these); ignored when `counts` is given. */
        tokens?: bigint;
        /** Tokens of each kind (generative models). */
        counts?: TokenCounts;
        record: string;
    }): Promise<ChargeOutcome> {
        const counts = args.counts ?? { ...ZERO_COUNTS, prompt: args.tokens ?? 0n };
        for (const k of KINDS) if (counts[k] < 0n) throw new RangeError(`${k} tokens must not be negative`);
        const command = (this.redis as unknown as Record<string, ChargeCommand>)[CHARGE_COMMAND];
        const res = await command.call(
            this.redis,
            this.keys.charged(args.requestId),
            this.keys.clientTokens,
            this.keys.workerTokens,
            this.keys.uncommitted,
            this.keys.chargeCount,
            this.keys.reserved(args.client),
            this.keys.workerKeyOwners,
            args.client,
            args.workerOwner,
            args.record,
            String(this.recordTtlSeconds),
            ...KINDS.map((k) => counts[k].toString()),
            args.requestId,
            args.workerKey?.toLowerCase() ?? '',
        );
        const clientCounts = countsFrom(res[1]);
        const workerCounts = countsFrom(res[2]);
        if (res[5] !== undefined) this.noteChargeCount(Number(res[5]));
        return {
            charged: res[0] === 1,
            clientTokens: clientCounts.prompt,
            workerTokens: workerCounts.prompt,
            clientCounts,
            workerCounts,
            record: res[3],
            uncommitted: Number(res[4]),
        };
    }

    /** The charged record of a request id and the client's running total, in one round trip. */
    async lookup(
        requestId: string,
        client: string,
    ): Promise<{ record: string | null; clientTokens: bigint; clientCounts: TokenCounts }> {
        const command = (this.redis as unknown as Record<string, LookupCommand>)[LOOKUP_COMMAND];
        const [record, tokens] = await command.call(
            this.redis,
            this.keys.charged(requestId),
            this.keys.clientTokens,
            ...KINDS.map((k) => client + KIND_SUFFIX[k]),
        );
        const clientCounts = countsFrom(tokens);
        return { record, clientTokens: clientCounts.prompt, clientCounts };
    }

    /** A client's cumulative tokens of every kind. */
    async clientCounts(client: string): Promise<TokenCounts> {
        return countsFrom(await this.redis.hmget(this.keys.clientTokens, ...KINDS.map((k) => client + KIND_SUFFIX[k])));
    }

    /** A worker owner's cumulative tokens of every kind. */
    async workerCounts(owner: string): Promise<TokenCounts> {
        return countsFrom(await this.redis.hmget(this.keys.workerTokens, ...KINDS.map((k) => owner + KIND_SUFFIX[k])));
    }

    /** The owner (raw address) a charge recorded for a worker key; null when it never served here. */
    async ownerOfWorkerKey(workerKey: string): Promise<string | null> {
        return this.redis.hget(this.keys.workerKeyOwners, workerKey.toLowerCase());
    }

    /** Every worker key a charge has recorded (bounded by the workers that ever served here). */
    async servedWorkerKeys(): Promise<string[]> {
        return this.redis.hkeys(this.keys.workerKeyOwners);
    }

    async chargedRecord(requestId: string): Promise<string | null> {
        return this.redis.get(this.keys.charged(requestId));
    }

    async clientTokens(client: string): Promise<bigint> {
        return BigInt((await this.redis.hget(this.keys.clientTokens, client)) ?? '0');
    }

    async workerTokens(owner: string): Promise<bigint> {
        return BigInt((await this.redis.hget(this.keys.workerTokens, owner)) ?? '0');
    }

    /** Every client's cumulative tokens of every kind (ClientAccount raw address -> counts). */
    async allClientTokens(): Promise<Map<string, TokenCounts>> {
        const all = await this.redis.hgetall(this.keys.clientTokens);
        const out = new Map<string, TokenCounts>();
        for (const [field, value] of Object.entries(all)) {
            // Fields are `<account>` (prompt kind) and `<account>#<kind>` (the other kinds).
            const [account, suffix] = field.split('#');
            const kind = suffix === undefined ? 'prompt' : (suffix as keyof TokenCounts);
            if (!KINDS.includes(kind)) continue;
            const counts = out.get(account) ?? { ...ZERO_COUNTS };
            counts[kind] = BigInt(value);
            out.set(account, counts);
        }
        return out;
    }

    /** The highest charge count seen (in this process) so far. */
    get chargeCountSeen(): number {
        return this.seenChargeCount;
    }

    /** Every charge ever counted by this Redis (0 when the key is missing). */
    async chargeCount(): Promise<number> {
        return Number((await this.redis.get(this.keys.chargeCount)) ?? '0');
    }

    /** The last recovery (`chrysalis proxy recover`) recorded in Redis, or null. */
    async recovery(): Promise<{ at: number } | null> {
        const at = await this.redis.hget(this.keys.recovery, 'at');
        return at === null ? null : { at: Number(at) };
    }

    /** Records a count read from Redis as seen (only ever raises the mark). */
    noteChargeCount(n: number): void {
        if (n > this.seenChargeCount) this.seenChargeCount = n;
    }

    /** Charges since the last commitment. */
    async uncommitted(): Promise<number> {
        return Number((await this.redis.get(this.keys.uncommitted)) ?? '0');
    }

    /**
     * SHA-256 over every counter in a fixed order (`c:<account>=<tokens>\n…w:<owner>=<tokens>\n…`, each list sorted,
     * then `r:<time>\n` once the ledger was recovered), as the uint256 CommitState carries. Returns the uncommitted
     * count read in the same transaction, so the caller can subtract exactly what the digest covers, and the charge
     * count, so the caller can tell that the counters it digested did not go back in time.
     */
    async digest(): Promise<{ digest: bigint; covered: number; chargeCount: number }> {
        const res = await this.redis
            .multi()
            .hgetall(this.keys.clientTokens)
            .hgetall(this.keys.workerTokens)
            .get(this.keys.uncommitted)
            .get(this.keys.chargeCount)
            .hget(this.keys.recovery, 'at')
            .exec();
        if (!res) throw new Error('Redis transaction for the counters digest was aborted');
        const [clients, workers, uncommitted, chargeCount, recoveredAt] = res.map(([err, value]) => {
            if (err) throw err;
            return value;
        }) as [Record<string, string>, Record<string, string>, string | null, string | null, string | null];
        const hash = createHash('sha256');
        for (const [tag, map] of [
            ['c', clients],
            ['w', workers],
        ] as const) {
            for (const k of Object.keys(map).sort()) hash.update(`${tag}:${k}=${map[k]}\n`);
        }
        if (recoveredAt !== null) hash.update(`r:${recoveredAt}\n`);
        return {
            digest: BigInt('0x' + hash.digest('hex')),
            covered: Number(uncommitted ?? '0'),
            chargeCount: Number(chargeCount ?? '0'),
        };
    }

    /**
     * Takes the charges a commitment covered off the uncommitted count, fenced by the committer's token: false (and
     * nothing changed) when a newer committer exists.
     */
    async markCommitted(covered: number, fence: { key: string; token: number }): Promise<boolean> {
        const command = (this.redis as unknown as Record<string, (...a: string[]) => Promise<number>>)[
            MARK_COMMITTED_COMMAND
        ];
        return (
            (await command.call(this.redis, fence.key, this.keys.uncommitted, String(fence.token), String(covered))) ===
            1
        );
    }
}
