/**
 * Committer election among the proxy instances that serve one proxy identity (docs/proxy.md, "Several instances").
 * Any instance charges requests (the charge script is atomic in Redis), but only one at a time commits: the state
 * commitment (CommitState and its Redis record), the uncommitted counter it resets, the halt record and the close.
 *
 * The lock is a Redis key `lock = <instance id>|<token>` with a lease (SET … PX), renewed by its holder every third of
 * the lease. Whoever takes a free lock draws its token from a counter that only grows (INCR `fence`), so the current
 * holder's token is always the counter's value. Every write the committer makes checks its token against the counter
 * inside the same Lua script ({@link FENCE_CHECK}) and is refused once a newer token exists: an instance that stalled
 * past its lease (a GC pause, a frozen VM, a partition) and wakes up believing it still commits cannot write after a
 * successor took over, however late its write arrives. Its chain transaction, if it already signed one, carries a
 * seqno the successor's commitment supersedes; the Proxy contract takes only increasing seqnos.
 *
 * The close ({@link CommitterLock.markClosing}) hands the lock to the closing instance: from then on the current
 * holder gives it up at its next renewal and no other instance takes it.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ChrysalisError } from '../../errors';
import { proxyKeys } from './redisKeys';

/**
 * Lua prelude of every fenced script: KEYS[1] is the fence counter and ARGV[1] the writer's token. Returns 0 (and
 * writes nothing) when the token is not the newest; the script's own work follows it.
 */
export const FENCE_CHECK = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
`;

const ACQUIRE_SCRIPT = `
local held = redis.call('GET', KEYS[1])
local closer = redis.call('GET', KEYS[3])
if closer and closer ~= ARGV[1] then
    if held and string.match(held, '^(.*)|') == ARGV[1] then redis.call('DEL', KEYS[1]) end
    return 0
end
if held then
    local id, token = string.match(held, '^(.*)|(%d+)$')
    if id == ARGV[1] and redis.call('GET', KEYS[2]) == token then
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return tonumber(token)
    end
    return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token
`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const ACQUIRE_COMMAND = 'chrysalisCommitterAcquire';
const RELEASE_COMMAND = 'chrysalisCommitterRelease';
type LockCommand = (...args: string[]) => Promise<number>;

/** A write that needs the committer's token was made by an instance that does not hold it (any more). */
export class NotCommitterError extends ChrysalisError {}

export interface CommitterLockOptions {
    /** How long the lock outlives its holder's last renewal. Default 10 s. */
    leaseMs?: number;
    /** Names this instance in the lock (random by default). */
    instanceId?: string;
}

export class CommitterLock {
    readonly instanceId: string;
    readonly leaseMs: number;
    private readonly keys: ReturnType<typeof proxyKeys>;
    private held: { token: number; until: number } | null = null;

    constructor(
        private readonly redis: Redis,
        prefix: string,
        options: CommitterLockOptions = {},
    ) {
        this.keys = proxyKeys(prefix);
        this.leaseMs = options.leaseMs ?? 10_000;
        this.instanceId = options.instanceId ?? randomBytes(8).toString('hex');
        if (!(ACQUIRE_COMMAND in redis)) {
            redis.defineCommand(ACQUIRE_COMMAND, { numberOfKeys: 3, lua: ACQUIRE_SCRIPT });
            redis.defineCommand(RELEASE_COMMAND, { numberOfKeys: 1, lua: RELEASE_SCRIPT });
        }
    }

    /** The fence counter's key: KEYS[1] of every fenced script. */
    get fenceKey(): string {
        return this.keys.committerFence;
    }

    /**
     * This instance's token while it holds the lock by its own clock (the lease counted from before the renewal was
     * sent), else null. Redis, not this answer, is what refuses a stale writer: a paused process may read a token
     * here that a successor has already superseded, and its fenced writes then fail with {@link NotCommitterError}.
     */
    get token(): number | null {
        return this.held && Date.now() < this.held.until ? this.held.token : null;
    }

    /** The token, or {@link NotCommitterError}. */
    requireToken(what: string): number {
        const token = this.token;
        if (token === null) throw new NotCommitterError(`${what}: this proxy instance is not the committer`);
        return token;
    }

    /** Takes the lock when it is free, or renews it when this instance holds it; returns the token or null. */
    async acquire(): Promise<number | null> {
        const sentAt = Date.now();
        const command = (this.redis as unknown as Record<string, LockCommand>)[ACQUIRE_COMMAND];
        const token = Number(
            await command.call(
                this.redis,
                this.keys.committerLock,
                this.keys.committerFence,
                this.keys.closing,
                this.instanceId,
                String(this.leaseMs),
            ),
        );
        this.held = token > 0 ? { token, until: sentAt + this.leaseMs } : null;
        return this.held?.token ?? null;
    }

    /** Waits (polling at a tenth of the lease) until this instance holds the lock, for at most `timeoutMs`. */
    async acquireWithin(timeoutMs: number): Promise<number> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const token = await this.acquire();
            if (token !== null) return token;
            if (Date.now() >= deadline) {
                throw new NotCommitterError(`another proxy instance held the committer lock for ${timeoutMs} ms`);
            }
            await new Promise((resolve) => setTimeout(resolve, Math.max(50, this.leaseMs / 10)));
        }
    }

    /** Frees the lock if this instance still holds it (a successor's lock is left alone). */
    async release(): Promise<void> {
        const held = this.held;
        this.held = null;
        if (!held) return;
        const command = (this.redis as unknown as Record<string, LockCommand>)[RELEASE_COMMAND];
        await command.call(this.redis, this.keys.committerLock, `${this.instanceId}|${held.token}`);
    }

    /**
     * Marks the proxy closing, by this instance: every other instance refuses new requests (reservations.ts) and
     * stops taking or renewing the lock, so this one gets it within a lease.
     */
    async markClosing(): Promise<void> {
        await this.redis.set(this.keys.closing, this.instanceId);
    }

    /** The newest token handed out (the current or last committer's). */
    async newestToken(): Promise<number> {
        return Number((await this.redis.get(this.keys.committerFence)) ?? '0');
    }
}
