/**
 * State commitment: Redis is outside the TEE, so whoever runs it could restore an old snapshot or wipe it and make the
 * proxy forget charges (its vouchers would restart from lower totals). The proxy therefore commits a digest of its
 * counters on chain with a strictly increasing seqno (`CommitState`), and keeps the latest {seqno, digest} it committed
 * in Redis too. It compares the two at start, before every commitment and periodically while it runs: a Redis copy
 * behind the chain (older seqno, or the same seqno with another digest, or no record at all while the chain has one)
 * means Redis was rolled back. While it runs it also remembers the highest charge count Redis returned (the count only
 * grows): a lower one means a rollback that left the commitment record as it was (a snapshot taken after the last
 * commitment). On any mismatch the proxy stops serving and never commits over it (`chrysalis proxy recover`, then
 * a restart, brings it back; docs/proxy.md, "Operations").
 *
 * Order of writes: Redis first, then the chain. A crash in between leaves Redis one ahead, which is harmless (the
 * next commitment supersedes it); the other order would make a crash look like a rollback.
 *
 * Only the elected committer commits (committerLock.ts): the Redis record and the reset of the uncommitted count are
 * written by scripts that check its fencing token, so an instance that lost the lock while paused cannot overwrite its
 * successor's record, and it never sends CommitState after its token was refused.
 */
import { Address, toNano } from '@ton/core';
import { Redis } from 'ioredis';
import { Chain, Wallet } from '../../chain';
import { signStateCommit } from '../../protocol/voucher';
import { Proxy } from '../../../../wrappers/Proxy';
import { CommitterLock, FENCE_CHECK, NotCommitterError } from './committerLock';
import { UsageCounters } from './counters';
import { proxyKeys } from './redisKeys';

/** KEYS: fence, commit record; ARGV: token, seqno, digest. 1 = written, 0 = a newer committer exists. */
const RECORD_SCRIPT = `${FENCE_CHECK}
redis.call('HSET', KEYS[2], 'seqno', ARGV[2], 'digest', ARGV[3])
return 1
`;
/** KEYS: fence; ARGV: token. 1 while the token is the newest. */
const FENCE_SCRIPT = `${FENCE_CHECK}
return 1
`;
const RECORD_COMMAND = 'chrysalisProxyRecordCommit';
const FENCE_COMMAND = 'chrysalisProxyFence';
type FencedCommand = (...args: string[]) => Promise<number>;

export interface Commitment {
    seqno: bigint;
    digest: bigint;
}

export type RollbackCheck = { ok: true; redis: Commitment | null; chain: Commitment } | { ok: false; reason: string };

/** Redis does not hold the state the chain (or this process) says it should: committing would launder a rollback. */
export class StateRolledBackError extends Error {
    constructor(readonly reason: string) {
        super(`refusing to serve: ${reason}`);
        this.name = 'StateRolledBackError';
    }
}

/** The digest of a halt commitment (commitHalt): the SHA-256 of a real state is never 0. */
export const HALT_DIGEST = 0n;

/** TON attached to CommitState (the contract's compute is small; the rest returns as excess). */
export const COMMIT_STATE_VALUE = toNano('0.02');

export class StateCommitter {
    private readonly keys: ReturnType<typeof proxyKeys>;
    private chain_: Chain;

    constructor(
        chain: Chain,
        private readonly redis: Redis,
        prefix: string,
        private readonly proxyAddress: Address,
        private readonly proxySecretKey: Buffer,
        private readonly wallet: Wallet | undefined,
        private readonly counters: UsageCounters,
        /** Elects the one instance that commits; its token fences every write below. */
        readonly lock: CommitterLock,
    ) {
        this.chain_ = chain;
        this.keys = proxyKeys(prefix);
        if (!(RECORD_COMMAND in redis)) {
            redis.defineCommand(RECORD_COMMAND, { numberOfKeys: 2, lua: RECORD_SCRIPT });
            redis.defineCommand(FENCE_COMMAND, { numberOfKeys: 1, lua: FENCE_SCRIPT });
        }
    }

    /** Throws {@link NotCommitterError} unless `token` is still the newest committer token. */
    async assertFence(token: number, what: string): Promise<void> {
        const command = (this.redis as unknown as Record<string, FencedCommand>)[FENCE_COMMAND];
        if ((await command.call(this.redis, this.lock.fenceKey, String(token))) !== 1) {
            throw new NotCommitterError(`${what}: a newer committer took over (token ${token} is stale)`);
        }
    }

    async onChain(): Promise<Commitment> {
        const c = await this.chain_.open(Proxy.fromAddress(this.proxyAddress)).getCommittedState();
        return { seqno: c.seqno, digest: c.digest };
    }

    async inRedis(): Promise<Commitment | null> {
        const h = await this.redis.hgetall(this.keys.commit);
        if (!h.seqno) return null;
        return { seqno: BigInt(h.seqno), digest: BigInt(h.digest) };
    }

    /** Compares Redis with the chain and with the charge count seen so far (see the file comment for the rules). */
    async check(): Promise<RollbackCheck> {
        // Taken before the read: a charge answered before this was executed before the read, so the read can only be
        // lower if Redis went back (charges answered meanwhile may or may not be in it; they count from the next one).
        const seen = this.counters.chargeCountSeen;
        const [chain, redis, count] = await Promise.all([this.onChain(), this.inRedis(), this.counters.chargeCount()]);
        if (count < seen) {
            return {
                ok: false,
                reason: `Redis has counted ${count} charges but this proxy already made ${seen}: Redis was rolled back or wiped`,
            };
        }
        this.counters.noteChargeCount(count);
        if (chain.seqno === 0n) return { ok: true, redis, chain };
        if (redis === null) {
            return {
                ok: false,
                reason: `Redis holds no state commitment but the chain has seqno ${chain.seqno}: Redis was wiped or rolled back`,
            };
        }
        if (redis.seqno < chain.seqno) {
            return {
                ok: false,
                reason: `Redis state is at commitment ${redis.seqno} but the chain has ${chain.seqno}: Redis was rolled back`,
            };
        }
        if (redis.seqno === chain.seqno && redis.digest !== chain.digest) {
            return {
                ok: false,
                reason: `Redis commitment ${redis.seqno} has another digest than the chain's: Redis was replaced`,
            };
        }
        return { ok: true, redis, chain };
    }

    /**
     * Records on chain that Redis failed its check: a commitment with digest 0, which no Redis state matches. Nothing
     * of Redis's state is vouched for; a restart on the same Redis then fails its check at once (the record in Redis
     * is behind), even where the rollback left the record itself intact and only this process knew better.
     */
    async commitHalt(): Promise<Commitment> {
        if (!this.wallet) throw new Error('no wallet configured to send CommitState');
        await this.assertFence(this.lock.requireToken('halt commitment'), 'halt commitment');
        const current = await this.onChain();
        // Another instance (a committer before this one) recorded the halt already: once is enough.
        if (current.seqno > 0n && current.digest === HALT_DIGEST) return current;
        const seqno = current.seqno + 1n;
        const { commit, signature } = signStateCommit(
            { proxy: this.proxyAddress, seqno, digest: HALT_DIGEST },
            this.proxySecretKey,
        );
        await this.chain_
            .open(Proxy.fromAddress(this.proxyAddress))
            .send(this.wallet.sender, { value: COMMIT_STATE_VALUE }, { $$type: 'CommitState', signature, commit });
        return { seqno, digest: HALT_DIGEST };
    }

    /**
     * Commits the current counters: next seqno, digest, Redis first, then CommitState on chain. Checks Redis against
     * the chain first and throws {@link StateRolledBackError} on a mismatch: a commitment over rolled-back counters
     * would make the chain vouch for them.
     */
    async commit(options: { overMismatch?: boolean } = {}): Promise<Commitment> {
        if (!this.wallet) throw new Error('no wallet configured to send CommitState');
        const token = this.lock.requireToken('CommitState');
        let last: bigint;
        if (options.overMismatch) {
            // Only the ledger recovery commits over a mismatch: it has just rebuilt the counters from the chain.
            const [chain, redis] = await Promise.all([this.onChain(), this.inRedis()]);
            last = redis && redis.seqno > chain.seqno ? redis.seqno : chain.seqno;
        } else {
            const check = await this.check();
            if (!check.ok) throw new StateRolledBackError(check.reason);
            last = check.redis && check.redis.seqno > check.chain.seqno ? check.redis.seqno : check.chain.seqno;
        }
        const seqno = last + 1n;
        const seen = this.counters.chargeCountSeen; // before the read, as in check()
        const { digest, covered, chargeCount } = await this.counters.digest();
        // The counters could have gone back between the check and the digest: the count read with them says so.
        if (chargeCount < seen) {
            throw new StateRolledBackError(
                `Redis has counted ${chargeCount} charges but this proxy already made ${seen}: ` +
                    'Redis was rolled back or wiped',
            );
        }
        const record = (this.redis as unknown as Record<string, FencedCommand>)[RECORD_COMMAND];
        const written = await record.call(
            this.redis,
            this.lock.fenceKey,
            this.keys.commit,
            String(token),
            seqno.toString(),
            digest.toString(),
        );
        if (written !== 1) {
            throw new NotCommitterError(`CommitState ${seqno}: a newer committer took over (token ${token} is stale)`);
        }
        const { commit, signature } = signStateCommit({ proxy: this.proxyAddress, seqno, digest }, this.proxySecretKey);
        // Through the opened contract, so that the sandbox runs the message chain before this returns.
        await this.chain_
            .open(Proxy.fromAddress(this.proxyAddress))
            .send(this.wallet.sender, { value: COMMIT_STATE_VALUE }, { $$type: 'CommitState', signature, commit });
        await this.counters.markCommitted(covered, { key: this.lock.fenceKey, token });
        return { seqno, digest };
    }
}
