import { toNano } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { WorkerStake } from '../../wrappers/WorkerStake';
import { randomBytes } from 'node:crypto';
import { generatedModelPath } from '../../worker-runtime/src/inference';
import { signAnnouncement, signGrant } from '../../worker-runtime/src/protocol/announcement';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { writeAnnouncement } from '../../worker-runtime/src/protocol/keyIndex';
import { ANNOUNCEMENT_RENEW_MS, ANNOUNCEMENT_TTL_MS } from '../../worker-runtime/src/protocol/liveness';
import { AdmissionOutcome, WorkerAdmission } from '../../worker-runtime/src/roles/admission';
import { openJob, queueNameForModel, SealedJobQueue } from '../../worker-runtime/src/queue';
import { wrapKey, generateX25519KeyPair } from '../../worker-runtime/src/crypto';
import { WorkerJobResult, WorkerStartError } from '../../worker-runtime/src/roles/worker';
import { attest, imageHashBigInt, SIMULATED_MEASUREMENTS, SimulatedProvider } from '../../worker-runtime/src/tee';
import { adminSend, features, newRequestId, REDIS_URL, workerTestbed, WorkerTestbed } from './helpers';

const quiet = { warn: () => undefined };

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((r) => setTimeout(r, 20));
    }
}

describe('joining: what the worker refuses to do and what the proxy refuses to grant', () => {
    let bed: WorkerTestbed;

    beforeAll(async () => {
        bed = await workerTestbed('worker-admission');
    });
    afterAll(async () => {
        await bed.close();
    });

    it('a model whose hash the registry does not list is refused before anything is announced', async () => {
        const error = await bed.createWorker({ modelPath: generatedModelPath('embedding') }).catch((e) => e);
        expect(error).toBeInstanceOf(WorkerStartError);
        expect(error.code).toBe('model');
        expect(error.message).toMatch(/not on the registry's allow-list/);
        expect(await bed.redis.keys(RedisKeys.announcementPattern(bed.prefix))).toEqual([]);
    });

    it('a worker whose own attestation fails the policy (debug TD) does not start', async () => {
        const error = await bed
            .createWorker({}, { provider: new SimulatedProvider({ debug: true, logger: quiet }) })
            .catch((e) => e);
        expect(error).toBeInstanceOf(WorkerStartError);
        expect(error.code).toBe('attestation');
        expect(error.message).toMatch(/debug TD refused/);
        expect(await bed.redis.keys(RedisKeys.announcementPattern(bed.prefix))).toEqual([]);
    });

    it('a worker without a stake (and not asked to register) does not start', async () => {
        const error = await bed.createWorker({ register: false }).catch((e) => e);
        expect(error).toBeInstanceOf(WorkerStartError);
        expect(error.code).toBe('stake');
        expect(error.message).toMatch(/no WorkerStake/);
    });

    it('a worker whose image leaves the allow-list is not granted and never consumes', async () => {
        const worker = await bed.createWorker({ grantTimeoutMs: 300 });
        const image = imageHashBigInt(SIMULATED_MEASUREMENTS);
        await adminSend(bed.net, { $$type: 'RemoveWorkerImage', queryId: 0n, imageHash: image });
        await bed.view.sync();
        try {
            const outcomes = await bed.admission.admitPending();
            expect(outcomes).toEqual([
                {
                    workerKey: worker.workerKey,
                    admitted: false,
                    reason: expect.stringMatching(/attestation refused.*allow-list/),
                },
            ]);
            expect(await bed.redis.exists(RedisKeys.grant(bed.prefix, worker.workerKey))).toBe(0);

            const { key } = await bed.admission.queueKey(bed.modelHash);
            const producer = new SealedJobQueue({
                modelHash: bed.modelHash,
                queueKey: key,
                config: { redisUrl: REDIS_URL, prefix: bed.prefix },
            });
            await producer.ready();
            const requestId = newRequestId();
            await producer.add({ requestId, inputs: features(1) });
            const error = await worker.consume().catch((e) => e);
            expect(error).toBeInstanceOf(WorkerStartError);
            expect(error.code).toBe('grant');
            expect(worker.currentState).toBe('announced');
            expect(await (await producer.queue.getJob(requestId))?.getState()).toBe('waiting');
            await producer.queue.remove(requestId);
            await producer.close();
        } finally {
            await worker.stop();
            await adminSend(bed.net, { $$type: 'AllowWorkerImage', queryId: 0n, imageHash: image });
            await bed.view.sync();
        }
    });

    it('forged announcements and grants from unregistered proxies are refused', async () => {
        // An announcement whose attestation is bound to another key, signed by a key with no stake.
        const other = keyPairFromSeed(randomBytes(32));
        const forger = keyPairFromSeed(randomBytes(32));
        const provider = new SimulatedProvider({ logger: quiet });
        const forged = signAnnouncement(
            {
                workerKey: forger.publicKey.toString('hex'),
                sealingKey: generateX25519KeyPair().publicKey.toString('hex'),
                modelHash: bed.modelHash,
                owner: bed.operatorWallet.address.toString(),
                attestation: await attest(provider, other.publicKey),
                issuedAt: 0,
            },
            forger.secretKey,
        );
        // Written as a worker writes (key and index), so the proxy really reads them and must refuse them.
        await writeAnnouncement(bed.redis, bed.prefix, forged);
        // The same announcement with the sealing key swapped after signing.
        const tampered = { ...forged, sealingKey: generateX25519KeyPair().publicKey.toString('hex') };
        const tamperKey = keyPairFromSeed(randomBytes(32));
        await writeAnnouncement(bed.redis, bed.prefix, { ...tampered, workerKey: tamperKey.publicKey.toString('hex') });
        const outcomes = await bed.admission.admitPending();
        const reasons = Object.fromEntries(outcomes.map((o) => [o.workerKey, o.admitted ? 'admitted' : o.reason]));
        expect(reasons[forger.publicKey.toString('hex')]).toMatch(/attestation refused \(binding\)/);
        expect(reasons[tamperKey.publicKey.toString('hex')]).toMatch(/signature does not verify/);
        await bed.redis.del(
            RedisKeys.announcement(bed.prefix, forger.publicKey),
            RedisKeys.announcement(bed.prefix, tamperKey.publicKey),
        );

        // A grant signed by a proxy key the registry does not list: the worker ignores it.
        const worker = await bed.createWorker({ grantTimeoutMs: 300 });
        try {
            const rogue = keyPairFromSeed(randomBytes(32));
            const sealing = Buffer.from(worker.sealingKey, 'hex');
            const grant = signGrant(
                {
                    workerKey: worker.workerKey,
                    modelHash: bed.modelHash,
                    keyVersion: 99,
                    wrappedKey: wrapKey(randomBytes(32), sealing, queueNameForModel(bed.modelHash)).toString('hex'),
                    issuedAt: 0,
                },
                rogue.secretKey,
            );
            await bed.redis.set(RedisKeys.grant(bed.prefix, worker.workerKey), JSON.stringify(grant));
            const error = await worker.consume().catch((e) => e);
            expect(error.code).toBe('grant');
            expect(error.message).toMatch(/not signed by a proxy the registry lists/);
        } finally {
            await worker.stop();
            await bed.redis.del(RedisKeys.grant(bed.prefix, worker.workerKey));
        }
    });

    it('demotion rotates the queue key: the demoted worker stops and cannot open new jobs, the others go on', async () => {
        const a = await bed.createWorker();
        const b = await bed.createWorker();
        const admitted = await bed.admission.admitPending();
        expect(
            admitted
                .filter((o) => o.admitted)
                .map((o) => o.workerKey)
                .sort(),
        ).toEqual([a.workerKey, b.workerKey].sort());
        await Promise.all([a.consume(), b.consume()]);
        const before = await bed.admission.queueKey(bed.modelHash);

        await bed.admission.demote(a.workerKey, 'test');
        const after = await bed.admission.queueKey(bed.modelHash);
        expect(after.version).toBeGreaterThan(before.version);
        expect(await bed.admission.admittedWorker(a.workerKey)).toBeNull();
        expect((await bed.admission.admittedWorker(b.workerKey))?.keyVersion).toBe(after.version);
        await waitFor(() => a.currentState === 'demoted' && b.keyVersion === after.version);
        expect(b.currentState).toBe('consuming');

        const producer = new SealedJobQueue({
            modelHash: bed.modelHash,
            queueKey: after.key,
            config: { redisUrl: REDIS_URL, prefix: bed.prefix },
        });
        await producer.ready();
        try {
            const requestId = newRequestId();
            const result = await producer.submit<WorkerJobResult>({ requestId, inputs: features(4) });
            expect(result.workerKey).toBe(b.workerKey);
            // The old key (all the demoted worker holds) does not open a job sealed under the new one.
            const job = await producer.queue.getJob(requestId);
            expect(() => openJob(before.key, bed.modelHash, requestId, job!.data)).toThrow();
            // Demoted workers are not re-admitted from their announcement.
            expect((await bed.admission.admitPending()).map((o) => o.workerKey)).not.toContain(a.workerKey);
        } finally {
            await producer.close();
        }
    });

    it('a worker whose stake starts unbonding is demoted at the next revalidation and stops consuming', async () => {
        const worker = await bed.createWorker();
        await bed.admission.admitPending();
        await worker.consume();
        expect(await bed.admission.revalidate()).toEqual([]);

        const stake = bed.net.blockchain.openContract(
            WorkerStake.fromAddress(await bed.net.registry.getWorkerStakeAddress(BigInt('0x' + worker.workerKey))),
        );
        await stake.send(
            bed.net.operator.getSender(),
            { value: toNano('0.05') },
            { $$type: 'StartUnbonding', queryId: 0n },
        );
        expect((await stake.getState()).status).toBe(2n);

        expect(await bed.admission.revalidate()).toEqual([worker.workerKey]);
        expect(await bed.admission.admittedWorker(worker.workerKey)).toBeNull();
        await waitFor(() => worker.currentState === 'demoted');
    });

    it('a worker restarted with the same key announces a new sealing key and is granted again', async () => {
        const seed = randomBytes(32).toString('hex');
        const first = await bed.createWorker({ workerSeed: seed });
        await bed.admission.admitPending();
        await first.consume();
        await first.stop();

        const second = await bed.createWorker({ workerSeed: seed, register: false, grantTimeoutMs: 5_000 });
        expect(second.workerKey).toBe(first.workerKey);
        expect(second.sealingKey).not.toBe(first.sealingKey);
        const outcomes = await bed.admission.admitPending();
        expect(outcomes).toContainEqual({
            workerKey: second.workerKey,
            admitted: true,
            keyVersion: expect.any(Number),
        });
        await second.consume();
        expect(second.currentState).toBe('consuming');
    });

    it('a lost grant is not a demotion: the worker announces itself again and is re-admitted by itself', async () => {
        const worker = await bed.createWorker();
        await bed.admission.admitPending();
        await worker.consume();
        const { version } = await bed.admission.queueKey(bed.modelHash);
        const live = await bed.admission.liveWorkers(bed.modelHash);
        // What a wiped or rolled-back Redis does to this worker: its grant and its announcement are gone.
        const announcement = RedisKeys.announcement(bed.prefix, worker.workerKey);
        const index = RedisKeys.announcementIndex(bed.prefix);
        await bed.redis.del(RedisKeys.grant(bed.prefix, worker.workerKey), announcement);
        await bed.redis.srem(index, worker.workerKey);
        expect(await bed.admission.liveWorkers(bed.modelHash)).toBe(live - 1);
        await waitFor(() => worker.currentState === 'demoted');
        await waitFor(async () => (await bed.redis.exists(announcement)) === 1);
        // Announced again, and indexed again with it: the proxy finds it through the index.
        expect(await bed.redis.sismember(index, worker.workerKey)).toBe(1);
        // Admission still holds it as admitted under the current key, but sees the grant is missing and grants again.
        expect(await bed.admission.admitPending()).toContainEqual({
            workerKey: worker.workerKey,
            admitted: true,
            keyVersion: version,
        });
        await waitFor(() => worker.currentState === 'consuming');
        expect(await bed.admission.liveWorkers(bed.modelHash)).toBe(live);

        const producer = new SealedJobQueue({
            modelHash: bed.modelHash,
            queueKey: (await bed.admission.queueKey(bed.modelHash)).key,
            config: { redisUrl: REDIS_URL, prefix: bed.prefix },
        });
        await producer.ready();
        try {
            await expect(
                producer.submit<WorkerJobResult>({ requestId: newRequestId(), inputs: features(9) }),
            ).resolves.toHaveProperty('workerKey');
        } finally {
            await producer.close();
        }
    });
});

describe('liveness: only workers that renew their announcement are admitted (protocol/liveness.ts)', () => {
    let bed: WorkerTestbed;

    beforeAll(async () => {
        bed = await workerTestbed('worker-liveness');
    });
    afterAll(async () => {
        await bed.close();
    });

    /** A proxy's admission started now (as after a restart), over the same Redis and registry. */
    const restartedAdmission = () =>
        WorkerAdmission.create({
            redis: bed.redis,
            chain: bed.chain,
            registryView: bed.view,
            prefix: bed.prefix,
            proxyKeyPair: bed.proxyKeys,
            policy: { logger: quiet },
        });

    it('a proxy started after a worker died never admits it from the announcement it left; a live one it admits once it renews', async () => {
        const live = await bed.createWorker();
        const dead = await bed.createWorker();
        const key = RedisKeys.announcement(bed.prefix, dead.workerKey);
        expect(await bed.redis.pttl(key)).toBeGreaterThan(ANNOUNCEMENT_TTL_MS - ANNOUNCEMENT_RENEW_MS * 2);
        // What a SIGKILLed worker leaves: its announcement, still running down its expiry, renewed by nobody.
        const [raw, left] = [await bed.redis.get(key), await bed.redis.pttl(key)];
        await dead.stop();
        // (At most 3 s of it left, so that this spec does not wait out a whole expiry: a shorter rest only moves its
        // last renewal earlier.)
        await writeAnnouncement(bed.redis, bed.prefix, JSON.parse(raw!), Math.min(left, 3_000));

        const restarted = await restartedAdmission();
        // Neither was renewed since the restart: neither is admitted yet.
        expect(await restarted.admitPending()).toEqual([]);
        // The live worker renews within one period and is admitted; the dead one never is, until its announcement expires.
        let outcomes: AdmissionOutcome[] = [];
        await waitFor(async () => (outcomes = await restarted.admitPending()).length > 0, ANNOUNCEMENT_RENEW_MS * 3);
        expect(outcomes).toEqual([{ workerKey: live.workerKey, admitted: true, keyVersion: expect.any(Number) }]);
        while ((await bed.redis.exists(key)) === 1) {
            expect((await restarted.admitPending()).map((o) => o.workerKey)).not.toContain(dead.workerKey);
            await new Promise((r) => setTimeout(r, 250));
        }
        expect(await restarted.admittedWorker(dead.workerKey)).toBeNull();
        expect(await restarted.admittedWorker(live.workerKey)).not.toBeNull();
        await live.consume();
        expect(live.currentState).toBe('consuming');
    });

    it('an admitted worker whose announcement expires is forgotten (not demoted): its grant is withdrawn', async () => {
        const worker = await bed.createWorker();
        expect(await bed.admission.admitPending()).toContainEqual({
            workerKey: worker.workerKey,
            admitted: true,
            keyVersion: expect.any(Number),
        });
        const key = RedisKeys.announcement(bed.prefix, worker.workerKey);
        const [raw, left] = [await bed.redis.get(key), await bed.redis.pttl(key)];
        await worker.stop();
        // Died a moment ago: the announcement is left with the short rest of its expiry.
        await writeAnnouncement(bed.redis, bed.prefix, JSON.parse(raw!), Math.min(left, 200));
        const index = RedisKeys.announcementIndex(bed.prefix);
        await waitFor(async () => (await bed.redis.exists(key)) === 0);
        expect(await bed.redis.sismember(index, worker.workerKey)).toBe(1);
        await bed.admission.admitPending();
        // The expired announcement's member is pruned from the index, so later rounds do not read it again.
        expect(await bed.redis.sismember(index, worker.workerKey)).toBe(0);
        expect(await bed.admission.admittedWorker(worker.workerKey)).toBeNull();
        expect(await bed.redis.exists(RedisKeys.grant(bed.prefix, worker.workerKey))).toBe(0);
        expect(await bed.redis.sismember(RedisKeys.demoted(bed.prefix), worker.workerKey)).toBe(0);
    });
});
