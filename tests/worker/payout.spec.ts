import { toNano } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKeptVoucher } from '../../worker-runtime/src/roles/worker/keptVoucher';
import { proxyFromArgs } from '../../wrappers/Proxy';
import { workerAccountFor } from '../../wrappers/WorkerAccount';
import { RedisKeys, StoredPayoutVoucher } from '../../worker-runtime/src/protocol/keys';
import { signBillingVoucher } from '../../worker-runtime/src/protocol/voucher';
import { WorkerRole } from '../../worker-runtime/src/roles/worker';
import { adminSend, workerTestbed, WorkerTestbed } from './helpers';

describe('worker payouts', () => {
    let bed: WorkerTestbed;
    let worker: WorkerRole;
    let storeVoucher: (cumulative: bigint, secretKey?: Buffer) => Promise<void>;
    let paid: () => Promise<bigint>;
    let dataDir: string;

    beforeAll(async () => {
        bed = await workerTestbed('worker-payout');
        const { net } = bed;
        // A real Proxy contract for the registered proxy key, funded by its stake, and listed at its real address.
        const proxyOwner = await net.blockchain.treasury('proxy-owner');
        const proxy = net.blockchain.openContract(
            await proxyFromArgs({
                owner: proxyOwner.address,
                publicKey: bed.proxyKeys.publicKey,
                registry: net.registry.address,
                proxyId: 1n,
                paramsVersion: 1n,
                params: net.params,
            }),
        );
        await proxy.send(proxyOwner.getSender(), { value: toNano('11') }, null);
        await adminSend(net, {
            $$type: 'RegisterProxy',
            queryId: 0n,
            proxyId: 1n,
            publicKey: BigInt('0x' + bed.proxyKeys.publicKey.toString('hex')),
            proxyAddress: proxy.address,
            endpoint: 'http://127.0.0.1:0',
        });
        await bed.view.sync();

        dataDir = mkdtempSync(join(tmpdir(), 'chrysalis-payout-spec-'));
        worker = await bed.createWorker({ payoutThreshold: '1000', dataDir });
        const account = net.blockchain.openContract(
            await workerAccountFor(proxy.address, worker.owner, bed.proxyKeys.publicKey),
        );
        storeVoucher = async (cumulative, secretKey = bed.proxyKeys.secretKey) => {
            const signed = signBillingVoucher(
                'payout',
                { target: account.address, cumulative, validUntil: (net.blockchain.now ?? 0) + 3600 },
                secretKey,
            );
            const stored: StoredPayoutVoucher = {
                voucher: signed.voucher.toBoc().toString('base64'),
                signature: signed.signature.toString('hex'),
                cumulative: cumulative.toString(),
                target: account.address.toString(),
            };
            await bed.redis.set(RedisKeys.payout(bed.prefix, worker.workerKey), JSON.stringify(stored));
        };
        paid = async () => {
            const state = await net.blockchain.getContract(account.address);
            return state.accountState?.type === 'active' ? (await account.getWorkerData()).paid : 0n;
        };
    });
    afterAll(async () => {
        await bed.close();
        rmSync(dataDir, { recursive: true, force: true });
    });

    it('claims the latest voucher through its WorkerAccount only past the threshold, and only what is unpaid', async () => {
        expect(await worker.claimPayout()).toEqual({ claimed: false, reason: 'no payout voucher yet' });

        await storeVoucher(500n);
        expect(await worker.claimPayout()).toMatchObject({ claimed: false, reason: 'below the claim threshold' });
        expect(await paid()).toBe(0n);

        const before = await bed.net.operator.getBalance();
        await storeVoucher(5000n);
        expect(await worker.claimPayout()).toMatchObject({ claimed: true, cumulative: 5000n, paidBefore: 0n });
        expect(await paid()).toBe(5000n);
        // The owner got 5,000 units × the worker fee, less the gas it attached and did not get back.
        const gained = (await bed.net.operator.getBalance()) - before;
        expect(gained).toBeGreaterThan(5000n * bed.net.params.workerFeePerToken - toNano('0.05'));

        // Already paid up to 5,000: the same voucher again is below the threshold (nothing is sent).
        expect(await worker.claimPayout()).toMatchObject({ claimed: false, paidBefore: 5000n });
        await storeVoucher(6500n);
        expect(await worker.claimPayout()).toMatchObject({ claimed: true, cumulative: 6500n, paidBefore: 5000n });
        expect(await paid()).toBe(6500n);
        // The worker keeps the latest voucher on its own disk, with its owner.
        const kept = JSON.parse(readFileSync(worker.voucherFile!, 'utf8')) as StoredPayoutVoucher & { owner: string };
        expect(kept).toMatchObject({ cumulative: '6500', owner: worker.owner.toString(), workerKey: worker.workerKey });
    });

    it('keeps a voucher below the threshold too, and still has it when Redis lost the stored copy', async () => {
        await storeVoucher(7000n);
        expect(await worker.claimPayout()).toMatchObject({ claimed: false, reason: 'below the claim threshold' });
        expect((await readKeptVoucher(worker.voucherFile!))?.cumulative).toBe(7000n);
        await bed.redis.del(RedisKeys.payout(bed.prefix, worker.workerKey));
        // Without the kept copy this would be 'no payout voucher yet'.
        expect(await worker.claimPayout()).toMatchObject({ claimed: false, cumulative: 7000n, paidBefore: 6500n });
        rmSync(worker.voucherFile!); // the next spec is about Redis's copy alone
    });

    it('ignores a voucher that no registered proxy signed', async () => {
        await storeVoucher(100_000n, keyPairFromSeed(randomBytes(32)).secretKey);
        const outcome = await worker.claimPayout();
        expect(outcome.claimed).toBe(false);
        expect(outcome).toMatchObject({ reason: expect.stringMatching(/not a valid, unexpired payout/) });
        expect(await paid()).toBe(6500n);
    });
});
