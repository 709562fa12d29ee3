/**
 * A worker that served, then died or was demoted while the proxy restarted (killed before its periodic flush stored
 * a voucher), is still paid what it served: every charge records whose the serving worker key is, and the restarted
 * proxy signs that owner's payout from the counters when the worker's payout is asked for or published at a close.
 * (Seen in the `--processes` fault run: a proxy killed -9 early, then a worker killed -9; at settlement the dead
 * worker was no longer admitted and the new proxy had never seen it serve, so its 95 units went unpaid.)
 */
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { Redis } from 'ioredis';
import { SandboxChain } from '../../worker-runtime/src/chain';
import { RoleMetrics } from '../../worker-runtime/src/observability';
import { VoucherOp, verifyVoucher } from '../../worker-runtime/src/protocol/voucher';
import { PayoutVouchers, UsageCounters, VoucherSigner, voucherFromJson } from '../../worker-runtime/src/roles/proxy';
import { cleanPrefix, REDIS_URL, testPrefix } from './harness';

const MULTIPLIERS = { prompt: 10000n, cached: 2500n, completion: 40000n, reasoning: 40000n };

describe('payout of a worker the proxy no longer admits (real Redis, sandbox chain)', () => {
    const redis = new Redis(REDIS_URL);
    const prefix = testPrefix('payout-owner');
    const proxyKey = keyPairFromSeed(Buffer.alloc(32, 9));
    const proxyAddress = Address.parse('0:' + 'ab'.repeat(32));
    let chain: SandboxChain;

    beforeAll(async () => {
        chain = await SandboxChain.create();
    });
    afterAll(async () => {
        await cleanPrefix(redis, prefix);
        await redis.quit();
    });

    /** A proxy process's payout side, fresh: what a restart leaves (nothing in memory). */
    const payoutsAfterRestart = (signer: VoucherSigner) =>
        new PayoutVouchers({
            chain,
            redis,
            prefix,
            counters: new UsageCounters(redis, prefix),
            signer,
            // Dead or demoted: nobody admits it any more.
            admission: { admittedWorker: async () => null },
            metrics: new RoleMetrics('proxy'),
            validitySeconds: 3600,
        });

    test('the restarted proxy signs its owner the whole of what it served, asked or at a close', async () => {
        const signer = new VoucherSigner(proxyAddress, proxyKey.publicKey, proxyKey.secretKey, MULTIPLIERS, 3600);
        const owner = Address.parse('0:' + randomBytes(32).toString('hex'));
        const workerKey = randomBytes(32).toString('hex');
        const counters = new UsageCounters(redis, prefix);
        for (const tokens of [5n, 7n]) {
            await counters.charge({
                requestId: randomBytes(32).toString('hex'),
                client: 'client-a',
                workerOwner: owner.toRawString(),
                workerKey: workerKey.toUpperCase(), // recorded in one spelling, whatever the caller's
                tokens,
                record: '{}',
            });
        }
        expect(await counters.ownerOfWorkerKey(workerKey)).toBe(owner.toRawString());

        const asked = await payoutsAfterRestart(signer).forWorker(workerKey);
        expect(asked).not.toBeNull();
        const target = await signer.workerAccount(owner);
        const voucher = verifyVoucher(voucherFromJson(asked!), proxyKey.publicKey, { op: VoucherOp.payout, target });
        expect(voucher?.cumulative).toBe(signer.units({ prompt: 12n, cached: 0n, completion: 0n, reasoning: 0n }));

        const published = await payoutsAfterRestart(signer).publishAll(Math.floor(Date.now() / 1000) + 600);
        expect(published.get(workerKey)?.cumulative).toBe(voucher!.cumulative.toString());

        // A key no charge recorded is still nobody's: no voucher is signed for it.
        expect(await payoutsAfterRestart(signer).forWorker(randomBytes(32).toString('hex'))).toBeNull();
    });
});
