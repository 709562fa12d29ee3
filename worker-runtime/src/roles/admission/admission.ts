import { Address } from '@ton/core';
import type { Redis } from 'ioredis';
import { Chain, RegistryView } from '../../chain';
import { createQueueKey, grantQueueKey, normalizeModelHash } from '../../queue';
import { indexMembers, pruneIndexMember } from '../../protocol/keyIndex';
import { SharedQueueKeys } from './sharedQueueKeys';
import {
    SignedAnnouncement,
    SignedGrant,
    signGrant,
    verifyAnnouncement,
    verifyGrant,
} from '../../protocol/announcement';
import { RedisKeys } from '../../protocol/keys';
import { lastRenewal } from '../../protocol/liveness';
import { AttestationPolicy, verifyAttestation } from '../../tee';
import { readStake, stakeProblem } from '../worker/stake';

export interface AdmissionOptions {
    redis: Redis;
    chain: Chain;
    registryView: RegistryView;
    /** Redis key prefix shared with the workers. */
    prefix: string;
    /** The proxy's Ed25519 key pair (64-byte secret key); its public key must be registered in the registry. */
    proxyKeyPair: { publicKey: Buffer; secretKey: Buffer };
    /** Extra attestation policy (collateral source, accepted TCB statuses, cache); registry and role are fixed. */
    policy?: Partial<Omit<AttestationPolicy, 'registry' | 'role'>>;
    /** Queue keys to start from (e.g. handed over inside the TEE); otherwise each model gets a fresh one. */
    queueKeys?: Map<string, { key: Buffer; version: number }>;
    /**
     * How long a queue key read from Redis is used before it is read again (default 1000 ms): how soon this instance
     * follows a rotation another instance of the same proxy made (sharedQueueKeys.ts).
     */
    keyRefreshMs?: number;
}

export interface AdmittedWorker {
    workerKey: string;
    owner: Address;
    modelHash: string;
    sealingKey: string;
    keyVersion: number;
}

export type AdmissionOutcome =
    { workerKey: string; admitted: true; keyVersion: number } | { workerKey: string; admitted: false; reason: string };

/**
 * The proxy's side of a worker joining (docs/runtime.md): reads announcements, checks each one — worker-key
 * signature, attestation against the registry's policy, model on the registry, WorkerStake Active for that model,
 * owner and image — and grants the model's queue key wrapped to the worker's sealing key, signed by the proxy key.
 * Queue keys are shared by every instance of the proxy through Redis, sealed under a key only the proxy's secret
 * key derives (sharedQueueKeys.ts): their versions grow across restarts and instances, so workers always recognise a
 * newer key, and a rotation one instance makes (a demotion) reaches the others within `keyRefreshMs`.
 */
export class WorkerAdmission {
    private readonly keys = new Map<string, { key: Buffer; version: number; readAt: number }>();
    private readonly shared: SharedQueueKeys;
    private readonly admitted = new Map<string, AdmittedWorker>();
    private readonly creating = new Map<string, Promise<{ key: Buffer; version: number }>>();
    /** Workers this process demoted: kept here too, since a wiped Redis forgets its demoted set. */
    private readonly demotedHere = new Set<string>();
    private lock: Promise<unknown> = Promise.resolve();
    /**
     * When this admission started (epoch ms): a worker is admitted only once its announcement has been renewed since
     * (protocol/liveness.ts), so a proxy restarted after a worker died does not admit it from what it left in Redis.
     */
    private readonly since = Date.now();

    private constructor(private readonly o: AdmissionOptions) {
        this.shared = new SharedQueueKeys(o.redis, o.prefix, o.proxyKeyPair.secretKey);
        // Handed-over keys stand until Redis holds a newer version (read at the first use).
        for (const [model, entry] of o.queueKeys ?? [])
            this.keys.set(normalizeModelHash(model), { ...entry, readAt: 0 });
    }

    static async create(options: AdmissionOptions): Promise<WorkerAdmission> {
        if (!options.registryView.isRegisteredProxyKey(options.proxyKeyPair.publicKey)) {
            // Workers only accept grants signed by a registered proxy key: granting with another key is pointless.
            throw new Error(
                `proxy key ${options.proxyKeyPair.publicKey.toString('hex')} is not registered in the registry`,
            );
        }
        return new WorkerAdmission(options);
    }

    /** The model's current queue key and version (created on first use; re-read from Redis every keyRefreshMs). */
    async queueKey(modelHash: string): Promise<{ key: Buffer; version: number }> {
        const model = normalizeModelHash(modelHash);
        const existing = this.keys.get(model);
        if (existing && Date.now() - existing.readAt < (this.o.keyRefreshMs ?? 1000)) return existing;
        // The dispatcher and a grant may both ask first: two fresh keys would leave the first grant stale at once.
        let pending = this.creating.get(model);
        if (!pending) {
            pending = this.refresh(model, existing).finally(() => this.creating.delete(model));
            this.creating.set(model, pending);
        }
        return pending;
    }

    /**
     * The newest key in Redis (another instance may have rotated it), or a fresh one when Redis holds none. Following
     * another instance's rotation, this instance's admitted workers move to the new version unless they were demoted:
     * the rotating instance granted them the new key (a demoted one is in the shared demoted set).
     */
    private async refresh(
        model: string,
        existing: { key: Buffer; version: number } | undefined,
    ): Promise<{ key: Buffer; version: number }> {
        const stored = await this.shared.read(model);
        if (!stored && !existing) return this.rotate(model);
        if (!stored || (existing && existing.version >= stored.version)) {
            const entry = existing ?? stored!;
            if (existing && (!stored || existing.version > stored.version)) await this.shared.store(model, existing);
            this.keys.set(model, { ...entry, readAt: Date.now() });
            return entry;
        }
        this.keys.set(model, { ...stored, readAt: Date.now() });
        if (existing) {
            const demoted = new Set(await this.o.redis.smembers(RedisKeys.demoted(this.o.prefix)));
            for (const w of this.admitted.values()) {
                if (w.modelHash !== model || w.keyVersion !== existing.version) continue;
                if (demoted.has(w.workerKey)) this.admitted.delete(w.workerKey);
                else w.keyVersion = stored.version;
            }
        }
        return stored;
    }

    /**
     * A worker this proxy admitted and has not demoted, or null. Its grant may be one key version behind for a moment:
     * a demotion rotates the key first and re-grants the remaining workers after, and an answer a remaining worker
     * gives in between is still its own (counting it against that worker would demote a healthy worker for another's
     * fault).
     */
    async admittedWorker(workerKey: string): Promise<AdmittedWorker | null> {
        const key = workerKey.toLowerCase();
        return this.admitted.get(key) ?? (await this.grantedElsewhere(key));
    }

    /**
     * A worker this admission has not admitted (yet) but that holds a grant of this proxy's key under the model's
     * current key version, and is not demoted: another instance of the proxy admitted it, or this proxy before a
     * restart (a restarted proxy waits for a renewal of the announcement before admitting it itself, and the worker
     * meanwhile answers jobs under the key it holds). Its answers are its own; it is not added to this admission.
     */
    private async grantedElsewhere(workerKey: string): Promise<AdmittedWorker | null> {
        if (this.demotedHere.has(workerKey)) return null;
        const { redis, prefix } = this.o;
        const [rawGrant, rawAnnouncement, demoted] = await Promise.all([
            redis.get(RedisKeys.grant(prefix, workerKey)),
            redis.get(RedisKeys.announcement(prefix, workerKey)),
            redis.sismember(RedisKeys.demoted(prefix), workerKey),
        ]);
        if (!rawGrant || !rawAnnouncement || demoted === 1) return null;
        try {
            const grant = JSON.parse(rawGrant) as SignedGrant;
            const announcement = JSON.parse(rawAnnouncement) as SignedAnnouncement;
            if (!verifyGrant(grant, this.o.proxyKeyPair.publicKey) || grant.workerKey.toLowerCase() !== workerKey) {
                return null;
            }
            if (!verifyAnnouncement(announcement) || announcement.workerKey.toLowerCase() !== workerKey) return null;
            const modelHash = normalizeModelHash(grant.modelHash);
            if ((await this.queueKey(modelHash)).version !== grant.keyVersion) return null;
            return {
                workerKey,
                owner: Address.parse(String(announcement.owner)),
                modelHash,
                sealingKey: String(announcement.sealingKey).toLowerCase(),
                keyVersion: grant.keyVersion,
            };
        } catch {
            return null;
        }
    }

    async admittedWorkers(modelHash: string): Promise<AdmittedWorker[]> {
        const model = normalizeModelHash(modelHash);
        return [...this.admitted.values()].filter((w) => w.modelHash === model);
    }

    /**
     * Admitted workers of the model whose grant under the current key is still in Redis: a worker whose grant
     * vanished (Redis wiped or rolled back) cannot take jobs until it is granted again.
     */
    async liveWorkers(modelHash: string): Promise<number> {
        const model = normalizeModelHash(modelHash);
        const version = this.keys.get(model)?.version;
        const current = [...this.admitted.values()].filter((w) => w.modelHash === model && w.keyVersion === version);
        if (!current.length) return 0;
        const { redis, prefix } = this.o;
        const present = await redis.exists(...current.map((w) => RedisKeys.grant(prefix, w.workerKey)));
        return present;
    }

    /** Checks every announcement in Redis that has no current grant and grants those that pass. */
    admitPending(): Promise<AdmissionOutcome[]> {
        return this.exclusive(() => this.admitPendingNow());
    }

    private async admitPendingNow(): Promise<AdmissionOutcome[]> {
        const { redis, prefix } = this.o;
        const demoted = new Set([...(await redis.smembers(RedisKeys.demoted(prefix))), ...this.demotedHere]);
        const outcomes: AdmissionOutcome[] = [];
        const announced = new Set<string>();
        // The index, not a SCAN: a SCAN walks the whole keyspace every round (protocol/keyIndex.ts).
        const index = RedisKeys.announcementIndex(prefix);
        for (const workerKey of await indexMembers(redis, index)) {
            const key = RedisKeys.announcement(prefix, workerKey);
            if (demoted.has(workerKey)) {
                // Never admitted again; dropped from the index once its announcement is gone, so it is not read forever.
                if ((await redis.exists(key)) === 0) await pruneIndexMember(redis, index, key, workerKey);
                continue;
            }
            // Taken before PTTL is sent: Redis runs it later, so the renewal time read from it is never later than
            // the true one (a dead worker's last renewal, before `since`, is never taken for one after it).
            const askedAt = Date.now();
            const [raw, granted, pttl] = await Promise.all([
                redis.get(key),
                redis.exists(RedisKeys.grant(prefix, workerKey)),
                redis.pttl(key),
            ]);
            if (raw === null) {
                await pruneIndexMember(redis, index, key, workerKey); // expired: the worker stopped renewing it
                continue;
            }
            announced.add(workerKey);
            // Alive: renewed since this admission started, or admitted by it already (and renewed since: the
            // announcement is still there). One that has not been renewed since may be a dead worker's: wait a period.
            const renewed = lastRenewal(pttl, askedAt);
            if (renewed !== null && renewed < this.since && !this.admitted.has(workerKey)) continue;
            // Already granted under the current key, to the sealing key announced now (a restarted worker announces
            // a fresh sealing key, and must be granted again), and the grant is still there (a wiped or rolled-back
            // Redis loses it: the worker re-announces and is granted again).
            const current = this.admitted.get(workerKey);
            if (
                current &&
                granted === 1 &&
                current.keyVersion === this.keys.get(current.modelHash)?.version &&
                current.sealingKey === announcedSealingKey(raw)
            ) {
                continue;
            }
            try {
                const worker = await this.check(workerKey, raw);
                const keyVersion = await this.grant(worker);
                outcomes.push({ workerKey, admitted: true, keyVersion });
            } catch (err) {
                outcomes.push({ workerKey, admitted: false, reason: (err as Error).message });
            }
        }
        // A worker whose announcement expired stopped renewing it: dead, or cut off from Redis. Forgotten (not demoted:
        // if it comes back it announces again and is admitted again), its grant withdrawn, so nothing counts it live.
        for (const worker of [...this.admitted.values()]) {
            if (!announced.has(worker.workerKey)) await this.forget(worker);
        }
        return outcomes;
    }

    private async forget(worker: AdmittedWorker): Promise<void> {
        const { redis, prefix } = this.o;
        this.admitted.delete(worker.workerKey);
        await redis.srem(RedisKeys.admitted(prefix, worker.modelHash), worker.workerKey);
        await redis.del(RedisKeys.grant(prefix, worker.workerKey));
    }

    /**
     * Drops a worker from routing: its grant is deleted, it is never re-admitted, and the model's queue key is rotated
     * (new version) and granted again to the remaining workers, so the demoted worker cannot open new jobs.
     */
    demote(workerKey: string, reason = 'demoted by the proxy'): Promise<void> {
        return this.exclusive(() => this.demoteNow(workerKey, reason));
    }

    private async demoteNow(workerKey: string, reason: string): Promise<void> {
        const key = workerKey.toLowerCase();
        const { redis, prefix } = this.o;
        this.demotedHere.add(key);
        // Out of routing at once, before any await: its answers no longer count from here.
        const worker = this.admitted.get(key);
        this.admitted.delete(key);
        // Separate commands, demoted set first: the keys live in different slots of a Redis Cluster.
        await redis.sadd(RedisKeys.demoted(prefix), key);
        await redis.hset(`${RedisKeys.demoted(prefix)}:reasons`, key, reason);
        await redis.del(RedisKeys.grant(prefix, key));
        if (!worker) return;
        await redis.srem(RedisKeys.admitted(prefix, worker.modelHash), key);
        await this.rotate(worker.modelHash);
        for (const other of await this.admittedWorkers(worker.modelHash)) await this.grant(other);
    }

    /**
     * Re-reads the stake of every admitted worker and demotes those whose stake is no longer Active for their model
     * (unbonding, withdrawn, slashed away): an unbonding worker takes no new jobs. Returns the demoted keys. Call it
     * periodically, or when the watcher reports a WorkerStake event.
     */
    revalidate(): Promise<string[]> {
        return this.exclusive(() => this.revalidateNow());
    }

    private async revalidateNow(): Promise<string[]> {
        const demoted: string[] = [];
        for (const worker of [...this.admitted.values()]) {
            const stake = await readStake(
                this.o.chain,
                this.o.registryView.registryAddress,
                BigInt('0x' + worker.workerKey),
            );
            const problem = stakeProblem(stake, BigInt('0x' + worker.modelHash));
            if (!problem) continue;
            await this.demoteNow(worker.workerKey, problem);
            demoted.push(worker.workerKey);
        }
        return demoted;
    }

    // ---------------- internals ----------------

    /**
     * Admission, demotion and revalidation run one at a time: an admission pass that read the demoted set before a
     * concurrent demotion would otherwise grant the demoted worker the freshly rotated key.
     */
    private exclusive<T>(fn: () => Promise<T>): Promise<T> {
        const run = this.lock.then(fn, fn);
        this.lock = run.catch(() => undefined);
        return run;
    }

    private async check(workerKey: string, raw: string): Promise<Omit<AdmittedWorker, 'keyVersion'>> {
        let signed: SignedAnnouncement;
        try {
            signed = JSON.parse(raw) as SignedAnnouncement;
        } catch {
            throw new Error('announcement is not JSON');
        }
        if (typeof signed !== 'object' || signed === null || typeof signed.workerKey !== 'string') {
            throw new Error('announcement is malformed');
        }
        if (signed.workerKey.toLowerCase() !== workerKey) throw new Error('announcement is filed under another key');
        if (!verifyAnnouncement(signed)) throw new Error('announcement signature does not verify with its worker key');
        if (!/^[0-9a-f]{64}$/i.test(String(signed.sealingKey))) throw new Error('announcement has no sealing key');
        const modelHash = normalizeModelHash(String(signed.modelHash));
        const view = this.o.registryView;
        if (!view.isModelAllowed(BigInt('0x' + modelHash)))
            throw new Error(`model ${modelHash} is not on the registry`);

        const verdict = await verifyAttestation(
            { document: signed.attestation as never, publicKey: Buffer.from(workerKey, 'hex') },
            { ...this.o.policy, registry: view, role: 'worker' },
        );
        if (!verdict.valid) throw new Error(`attestation refused (${verdict.error.code}): ${verdict.error.message}`);

        const stake = await readStake(this.o.chain, view.registryAddress, BigInt('0x' + workerKey));
        const problem = stakeProblem(stake, BigInt('0x' + modelHash));
        if (problem) throw new Error(problem);
        let owner: Address;
        try {
            owner = Address.parse(String(signed.owner));
        } catch {
            throw new Error('announcement owner is not an address');
        }
        if (!stake!.owner.equals(owner)) throw new Error('announcement owner is not the owner of the WorkerStake');
        if (stake!.imageHash !== BigInt('0x' + verdict.imageHashHex)) {
            throw new Error('the attested image is not the image the WorkerStake was registered with');
        }
        return { workerKey, owner, modelHash, sealingKey: signed.sealingKey.toLowerCase() };
    }

    private async grant(worker: Omit<AdmittedWorker, 'keyVersion'>): Promise<number> {
        const { key, version } = await this.queueKey(worker.modelHash);
        const wrapped = await grantQueueKey({
            queueKey: key,
            modelHash: worker.modelHash,
            workerPublicKey: Buffer.from(worker.sealingKey, 'hex'),
            attested: true, // check() has just verified the attestation that binds this sealing key
        });
        const signed = signGrant(
            {
                workerKey: worker.workerKey,
                modelHash: worker.modelHash,
                keyVersion: version,
                wrappedKey: wrapped.wrappedKey.toString('hex'),
                issuedAt: Math.floor(Date.now() / 1000),
            },
            this.o.proxyKeyPair.secretKey,
        );
        const { redis, prefix } = this.o;
        // Never over a grant of a newer key version (another instance's, after its rotation).
        await this.shared.storeGrant(RedisKeys.grant(prefix, worker.workerKey), signed);
        await redis.sadd(RedisKeys.admitted(prefix, worker.modelHash), worker.workerKey);
        this.admitted.set(worker.workerKey, { ...worker, keyVersion: version });
        return version;
    }

    /** A fresh key under the next version, shared; the newest in Redis after that (a concurrent rotation's may win). */
    private async rotate(model: string): Promise<{ key: Buffer; version: number }> {
        const version = await this.o.redis.incr(`${RedisKeys.admitted(this.o.prefix, model)}:version`);
        const fresh = { key: createQueueKey(), version };
        await this.shared.store(model, fresh);
        const entry = (await this.shared.read(model)) ?? fresh;
        this.keys.set(model, { ...entry, readAt: Date.now() });
        return entry;
    }
}

function announcedSealingKey(raw: string): string | null {
    try {
        const key = (JSON.parse(raw) as { sealingKey?: unknown }).sealingKey;
        return typeof key === 'string' ? key.toLowerCase() : null;
    } catch {
        return null;
    }
}
