import '@ton/test-utils';
import { beginCell, toNano } from '@ton/core';
import { sign } from '@ton/crypto';
import { Blockchain, BlockchainSnapshot, SandboxContract, TreasuryContract } from '@ton/sandbox';
import {
    BillingErrors,
    BillingNetwork,
    createBillingNetwork,
    keysFor,
    openClient,
    payout,
    sendVoucher,
    workerAccount,
} from '../fixtures/billing';
import { ClientAccount } from '../../wrappers/ClientAccount';
import {
    billingUnits,
    parseVoucher,
    signBillingVoucher,
    signVoucher,
    verifyVoucher,
    voucherCell,
    voucherMessageBody,
    VoucherOp,
} from '../../worker-runtime/src/protocol/voucher';

describe('voucher helper (off chain)', () => {
    const keys = keysFor('helper');
    const target = beginCell().endCell().hash(); // any 32 bytes
    const addr = () => new (require('@ton/core').Address)(0, target);

    it('round-trips and verifies; rejects another key, op, target or a late time', () => {
        const signed = signBillingVoucher(
            'charge',
            { target: addr(), cumulative: 42n, validUntil: 1000 },
            keys.secretKey,
        );
        const v = verifyVoucher(signed, keys.publicKey, { op: VoucherOp.charge, target: addr(), now: 1000 });
        expect(v?.cumulative).toBe(42n);
        const parsed = parseVoucher(signed.voucher);
        expect(parsed.target.equals(addr())).toBe(true);
        expect([parsed.op, parsed.cumulative, parsed.validUntil]).toEqual([VoucherOp.charge, 42n, 1000]);
        expect(verifyVoucher(signed, keysFor('other').publicKey)).toBeNull();
        expect(verifyVoucher(signed, keys.publicKey, { op: VoucherOp.payout })).toBeNull();
        expect(verifyVoucher(signed, keys.publicKey, { now: 1001 })).toBeNull();
        const tampered = { ...signed, signature: Buffer.from(signed.signature) };
        tampered.signature[0] ^= 1;
        expect(verifyVoucher(tampered, keys.publicKey)).toBeNull();
    });

    it('builds the outer body: op, signature, voucher ref', () => {
        const signed = signBillingVoucher('payout', { target: addr(), cumulative: 7n, validUntil: 5 }, keys.secretKey);
        const s = voucherMessageBody(signed).beginParse();
        expect(s.loadUint(32)).toBe(VoucherOp.payout);
        expect(s.loadBuffer(64).equals(signed.signature)).toBe(true);
        expect(s.loadRef().equals(signed.voucher)).toBe(true);
    });

    it('gives clear errors on bad input', () => {
        const base = { op: VoucherOp.charge, queryId: 0n, cumulative: 1n, target: addr(), validUntil: 1 };
        expect(() => voucherCell({ ...base, cumulative: -1n })).toThrow(/cumulative/);
        expect(() => voucherCell({ ...base, cumulative: 1n << 64n })).toThrow(/cumulative/);
        expect(() => voucherCell({ ...base, validUntil: 2 ** 32 })).toThrow(/validUntil/);
        expect(() => signVoucher(base, Buffer.alloc(32))).toThrow(/64 bytes/);
    });

    it('weights tokens by the multipliers and rounds down once', () => {
        const m = { prompt: 10000n, cached: 2500n, completion: 40000n, reasoning: 40000n };
        expect(billingUnits({ prompt: 100n, cached: 3n, completion: 10n, reasoning: 1n }, m)).toBe(
            (100n * 10000n + 3n * 2500n + 10n * 40000n + 40000n) / 10000n,
        );
        expect(() => billingUnits({ prompt: -1n, cached: 0n, completion: 0n, reasoning: 0n }, m)).toThrow(/negative/);
    });
});

describe('vouchers on chain', () => {
    let net: BillingNetwork;
    let blockchain: Blockchain;
    let client: SandboxContract<TreasuryContract>;
    let account: SandboxContract<ClientAccount>;
    let other: SandboxContract<ClientAccount>;
    let snap: BlockchainSnapshot;

    beforeAll(async () => {
        net = await createBillingNetwork();
        blockchain = net.blockchain;
        client = await blockchain.treasury('client');
        ({ account } = await openClient(blockchain, net.main, client, toNano('1'), toNano('5')));
        ({ account: other } = await openClient(
            blockchain,
            net.main,
            await blockchain.treasury('c2'),
            toNano('1'),
            toNano('5'),
        ));
        snap = blockchain.snapshot();
    });

    beforeEach(async () => {
        await blockchain.loadFrom(snap);
    });

    const send = (cell: ReturnType<typeof voucherCell>, signature: Buffer, to = account.address) =>
        net.main.owner.send({
            to,
            value: toNano('0.05'),
            body: voucherMessageBody({ voucher: cell, signature }),
        });
    const expectRefused = async (p: ReturnType<typeof send>, exitCode: number, to = account.address) => {
        const r = await p;
        expect(r.transactions).toHaveTransaction({ to, success: false, exitCode });
        expect(r.transactions).not.toHaveTransaction({ from: to, to: net.main.proxy.address });
    };
    const voucher = (over: Partial<Parameters<typeof voucherCell>[0]> = {}) =>
        voucherCell({
            op: VoucherOp.charge,
            queryId: 1n,
            cumulative: 100n,
            target: account.address,
            validUntil: blockchain.now! + 60,
            ...over,
        });

    it('accepts a well-formed charge voucher', async () => {
        const cell = voucher();
        const r = await send(cell, sign(cell.hash(), net.main.keys.secretKey));
        expect(r.transactions).toHaveTransaction({ from: account.address, to: net.main.proxy.address, success: true });
    });

    it('refuses a forged voucher (signed by another key)', async () => {
        const cell = voucher();
        await expectRefused(
            send(cell, sign(cell.hash(), keysFor('forger').secretKey)),
            BillingErrors.ERR_BAD_SIGNATURE,
        );
    });

    it('refuses a voucher whose content was changed after signing', async () => {
        const signature = sign(voucher().hash(), net.main.keys.secretKey);
        await expectRefused(send(voucher({ cumulative: 10_000n }), signature), BillingErrors.ERR_BAD_SIGNATURE);
    });

    it('refuses a replayed voucher', async () => {
        const cell = voucher();
        const signature = sign(cell.hash(), net.main.keys.secretKey);
        await send(cell, signature);
        await expectRefused(send(cell, signature), BillingErrors.ERR_VOUCHER_NOT_NEWER);
    });

    it('refuses an expired voucher', async () => {
        const cell = voucher({ validUntil: blockchain.now! - 1 });
        await expectRefused(send(cell, sign(cell.hash(), net.main.keys.secretKey)), BillingErrors.ERR_VOUCHER_EXPIRED);
        const later = voucher({ validUntil: blockchain.now! + 10 });
        blockchain.now! += 11;
        await expectRefused(
            send(later, sign(later.hash(), net.main.keys.secretKey)),
            BillingErrors.ERR_VOUCHER_EXPIRED,
        );
    });

    it('refuses a voucher for another account (wrong target)', async () => {
        const cell = voucher({ target: other.address });
        await expectRefused(send(cell, sign(cell.hash(), net.main.keys.secretKey)), BillingErrors.ERR_WRONG_TARGET);
    });

    it('refuses a voucher made for another operation (wrong op)', async () => {
        // A payout voucher presented as a charge, and a charge voucher presented as a refund.
        const payoutCell = voucher({ op: VoucherOp.payout });
        const sig = sign(payoutCell.hash(), net.main.keys.secretKey);
        const asCharge = beginCell().storeUint(VoucherOp.charge, 32).storeBuffer(sig).storeRef(payoutCell).endCell();
        const r1 = await net.main.owner.send({ to: account.address, value: toNano('0.05'), body: asCharge });
        expect(r1.transactions).toHaveTransaction({
            to: account.address,
            exitCode: BillingErrors.ERR_WRONG_VOUCHER_OP,
        });
        const chargeCell = voucher();
        const sig2 = sign(chargeCell.hash(), net.main.keys.secretKey);
        const asRefund = beginCell().storeUint(VoucherOp.refund, 32).storeBuffer(sig2).storeRef(chargeCell).endCell();
        const r2 = await net.main.owner.send({ to: account.address, value: toNano('0.05'), body: asRefund });
        expect(r2.transactions).toHaveTransaction({
            to: account.address,
            exitCode: BillingErrors.ERR_WRONG_VOUCHER_OP,
        });
    });

    it('a voucher of one proxy is worthless at another proxy', async () => {
        const second = await net.deployProxy('second');
        const c = await blockchain.treasury('client');
        const { account: acc2 } = await openClient(blockchain, second, c, toNano('1'), toNano('1'));
        const r = await sendVoucher(blockchain, net.main.owner, 'charge', acc2.address, 10n, net.main.keys.secretKey);
        expect(r.transactions).toHaveTransaction({ to: acc2.address, exitCode: BillingErrors.ERR_BAD_SIGNATURE });
    });

    it('worker vouchers: forged, replayed and wrong-target ones are refused', async () => {
        const worker = await blockchain.treasury('worker');
        const wa = await workerAccount(blockchain, net.main, worker.address);
        const ok = await payout(blockchain, net.main, worker, 10n);
        expect(ok.transactions).toHaveTransaction({ from: net.main.proxy.address, to: worker.address, success: true });
        const replay = await payout(blockchain, net.main, worker, 10n);
        expect(replay.transactions).toHaveTransaction({
            to: wa.address,
            exitCode: BillingErrors.ERR_VOUCHER_NOT_NEWER,
        });
        const forged = await sendVoucher(blockchain, worker, 'payout', wa.address, 20n, keysFor('f').secretKey);
        expect(forged.transactions).toHaveTransaction({ to: wa.address, exitCode: BillingErrors.ERR_BAD_SIGNATURE });
        // A voucher for another worker's account, sent to this one.
        const otherWa = await workerAccount(blockchain, net.main, (await blockchain.treasury('w2')).address);
        const signed = signBillingVoucher(
            'payout',
            { target: otherWa.address, cumulative: 20n, validUntil: blockchain.now! + 60 },
            net.main.keys.secretKey,
        );
        const wrong = await worker.send({ to: wa.address, value: toNano('0.05'), body: voucherMessageBody(signed) });
        expect(wrong.transactions).toHaveTransaction({ to: wa.address, exitCode: BillingErrors.ERR_WRONG_TARGET });
        // A charge voucher for the worker account, wrapped as a payout.
        const chargeFor = signBillingVoucher(
            'charge',
            { target: wa.address, cumulative: 20n, validUntil: blockchain.now! + 60 },
            net.main.keys.secretKey,
        );
        const asPayout = beginCell()
            .storeUint(VoucherOp.payout, 32)
            .storeBuffer(chargeFor.signature)
            .storeRef(chargeFor.voucher)
            .endCell();
        const charge = await worker.send({ to: wa.address, value: toNano('0.05'), body: asPayout });
        expect(charge.transactions).toHaveTransaction({ to: wa.address, exitCode: BillingErrors.ERR_WRONG_VOUCHER_OP });
        expect((await wa.getWorkerData()).paid).toBe(10n);
    });
});
