import '@ton/test-utils';
import { Address, beginCell, Cell, toNano } from '@ton/core';
import { ERR_BAD_FRACTION, ERR_NOT_OWNER, ERR_VALUE_TOO_LOW, REGISTRY_STORAGE_RESERVE } from '../../wrappers/Registry';
import {
    ERR_STAKE_ALREADY_SLASHED_FOR_REQUEST,
    ERR_STAKE_BAD_RECEIPT,
    ERR_STAKE_BAD_SIGNATURE,
    ERR_STAKE_NOT_SLASHABLE,
    ERR_STAKE_RECEIPTS_NOT_CONFLICTING,
    ERR_STAKE_VALUE_TOO_LOW,
    loadStakeSlashedEvent,
    SLASH_REASON_PROOF,
    STAKE_STORAGE_RESERVE,
} from '../../wrappers/WorkerStake';
import { Receipt, signReceipt } from '../../worker-runtime/src/protocol/receipt';
import { deployNetwork, NetworkSnapshot, RegisteredWorker, registerWorker, workerKeyPair } from '../fixtures/network';
import { balanceOf, code, eventsOf } from '../fixtures/chain';

const SLASHED_EVENT = 0x5753e005;
const PROOF_VALUE = { value: toNano('0.1') };

/** The registry of the network under test: every receipt is bound to it (set by each describe). */
let registry: Address;

function receipt(requestId: bigint, outputHash: bigint): Receipt {
    return { requestId, modelHash: 11n, inputHash: 22n, outputHash, registry };
}

function proof(w: RegisteredWorker, a: Receipt, b: Receipt, secretA = w.keyPair.secretKey, secretB = secretA) {
    const sa = signReceipt(a, secretA);
    const sb = signReceipt(b, secretB);
    return {
        $$type: 'SlashByProof' as const,
        queryId: 1n,
        receiptA: sa.cell,
        signatureA: sa.signature,
        receiptB: sb.cell,
        signatureB: sb.signature,
    };
}

describe('WorkerStake: slashing by governance and by proof', () => {
    let snap: NetworkSnapshot;
    let w: RegisteredWorker;
    beforeAll(async () => {
        const net = await deployNetwork();
        w = await registerWorker(net, 'slashable', { bond: toNano('10') });
        registry = net.registry.address;
        snap = new NetworkSnapshot(net);
        snap.save();
    });
    beforeEach(async () => snap.restore());

    it('governance slash: owner only, through the registry, fraction and unused value to the treasury', async () => {
        const { registry, owner, stranger, treasury, blockchain } = snap.net;
        const byStranger = await registry.send(stranger.getSender(), PROOF_VALUE, {
            $$type: 'SlashWorker',
            queryId: 0n,
            stake: w.stake.address,
            reason: 3n,
            fractionBps: 2500n,
        });
        expect(byStranger.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_OWNER) });
        const bad = await registry.send(owner.getSender(), PROOF_VALUE, {
            $$type: 'SlashWorker',
            queryId: 0n,
            stake: w.stake.address,
            reason: 3n,
            fractionBps: 10001n,
        });
        expect(bad.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_BAD_FRACTION) });
        const low = await registry.send(
            owner.getSender(),
            { value: toNano('0.01') },
            {
                $$type: 'SlashWorker',
                queryId: 0n,
                stake: w.stake.address,
                reason: 3n,
                fractionBps: 2500n,
            },
        );
        expect(low.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_VALUE_TOO_LOW) });

        const treasuryBefore = await treasury.getBalance();
        const res = await registry.send(owner.getSender(), PROOF_VALUE, {
            $$type: 'SlashWorker',
            queryId: 0n,
            stake: w.stake.address,
            reason: 3n,
            fractionBps: 2500n,
        });
        expect(res.transactions).toHaveTransaction({ from: registry.address, to: w.stake.address, success: true });
        // One message to the treasury: the slashed 2.5 TON plus what compute left of the owner's value (mode 64),
        // less its forwarding fee; no separate Excesses back to the owner.
        expect(res.transactions).toHaveTransaction({
            from: w.stake.address,
            to: treasury.address,
            value: (v) => v! > toNano('2.5') && v! < toNano('2.5') + PROOF_VALUE.value,
        });
        expect(res.transactions).not.toHaveTransaction({ from: w.stake.address, to: owner.address });
        const ev = loadStakeSlashedEvent(eventsOf(res, SLASHED_EVENT)[0]);
        expect(ev).toMatchObject({ reason: 3n, amount: toNano('2.5'), requestId: 0n });
        const state = await w.stake.getState();
        // One governance slash per registration: the worker is out of service (Slashed) and unbonding from now.
        expect(state).toMatchObject({
            stake: toNano('7.5'),
            status: 3n,
            unbondingUntil: BigInt(blockchain.now!) + snap.net.params.workerUnbondingDelay,
        });
        expect((await treasury.getBalance()) - treasuryBefore).toBeGreaterThan(toNano('2.49'));
        expect(await balanceOf(blockchain, w.stake.address)).toBeGreaterThanOrEqual(
            toNano('7.5') + STAKE_STORAGE_RESERVE,
        );
    });

    it('slash by proof: anyone, two conflicting receipts signed by the worker key; bounty to the reporter', async () => {
        const { stranger, treasury, params } = snap.net;
        const reporterBefore = await stranger.getBalance();
        const treasuryBefore = await treasury.getBalance();
        const res = await w.stake.send(stranger.getSender(), PROOF_VALUE, proof(w, receipt(77n, 1n), receipt(77n, 2n)));
        expect(res.transactions).toHaveTransaction({ to: w.stake.address, success: true });
        const amount = (toNano('10') * params.slashFractionBps) / 10000n;
        const bounty = (amount * params.reporterBountyBps) / 10000n;
        expect(res.transactions).toHaveTransaction({
            from: w.stake.address,
            to: treasury.address,
            value: amount - bounty,
        });
        const ev = loadStakeSlashedEvent(eventsOf(res, SLASHED_EVENT)[0]);
        expect(ev).toMatchObject({ reason: SLASH_REASON_PROOF, amount, requestId: 77n });
        expect(await w.stake.getState()).toMatchObject({ stake: toNano('10') - amount });
        expect(await w.stake.getIsRequestSlashed(77n)).toBe(true);
        const reporterGain = (await stranger.getBalance()) - reporterBefore;
        expect(reporterGain).toBeGreaterThan(bounty - toNano('0.03'));
        expect((await treasury.getBalance()) - treasuryBefore).toBeGreaterThan(amount - bounty - toNano('0.001'));
    });

    it('the same equivocation cannot slash twice (replay, or the pair swapped)', async () => {
        const { stranger, operator } = snap.net;
        const p = proof(w, receipt(5n, 1n), receipt(5n, 2n));
        await w.stake.send(stranger.getSender(), PROOF_VALUE, p);
        const stakeAfter = (await w.stake.getState()).stake;
        const replay = await w.stake.send(operator.getSender(), PROOF_VALUE, p);
        expect(replay.transactions).toHaveTransaction({ exitCode: code(ERR_STAKE_ALREADY_SLASHED_FOR_REQUEST) });
        const swapped = await w.stake.send(
            stranger.getSender(),
            PROOF_VALUE,
            proof(w, receipt(5n, 2n), receipt(5n, 1n)),
        );
        expect(swapped.transactions).toHaveTransaction({ exitCode: code(ERR_STAKE_ALREADY_SLASHED_FOR_REQUEST) });
        expect((await w.stake.getState()).stake).toBe(stakeAfter);
        // A different request is a different equivocation.
        const other = await w.stake.send(stranger.getSender(), PROOF_VALUE, proof(w, receipt(6n, 1n), receipt(6n, 3n)));
        expect(other.transactions).toHaveTransaction({ to: w.stake.address, success: true });
    });

    it('rejects receipts that do not prove an equivocation, or are not signed by this worker key', async () => {
        const { stranger } = snap.net;
        const cases: [ReturnType<typeof proof>, bigint][] = [
            [proof(w, receipt(1n, 9n), receipt(1n, 9n)), ERR_STAKE_RECEIPTS_NOT_CONFLICTING],
            [proof(w, receipt(1n, 9n), receipt(2n, 8n)), ERR_STAKE_RECEIPTS_NOT_CONFLICTING],
            [proof(w, receipt(1n, 9n), receipt(1n, 8n), workerKeyPair('other').secretKey), ERR_STAKE_BAD_SIGNATURE],
            [
                proof(w, receipt(1n, 9n), receipt(1n, 8n), w.keyPair.secretKey, workerKeyPair('other').secretKey),
                ERR_STAKE_BAD_SIGNATURE,
            ],
        ];
        const wrongTag = proof(w, receipt(1n, 9n), receipt(1n, 8n));
        const s = wrongTag.receiptA.beginParse();
        s.skip(32);
        wrongTag.receiptA = beginCell().storeUint(0x12345678, 32).storeSlice(s).endCell();
        cases.push([wrongTag, ERR_STAKE_BAD_RECEIPT]);
        for (const [body, exit] of cases) {
            const res = await w.stake.send(stranger.getSender(), PROOF_VALUE, body);
            expect(res.transactions).toHaveTransaction({ to: w.stake.address, exitCode: code(exit) });
        }
        const low = await w.stake.send(
            stranger.getSender(),
            { value: toNano('0.01') },
            proof(w, receipt(1n, 9n), receipt(1n, 8n)),
        );
        expect(low.transactions).toHaveTransaction({ exitCode: code(ERR_STAKE_VALUE_TOO_LOW) });
        expect((await w.stake.getState()).stake).toBe(toNano('10'));
    });

    it('slashable while unbonding; after withdrawal nothing is left to slash and a slash bounces back whole', async () => {
        const { operator, stranger, owner, registry, blockchain, params } = snap.net;
        await w.stake.send(operator.getSender(), { value: toNano('0.05') }, { $$type: 'StartUnbonding', queryId: 0n });
        const whileUnbonding = await w.stake.send(
            stranger.getSender(),
            PROOF_VALUE,
            proof(w, receipt(1n, 1n), receipt(1n, 2n)),
        );
        expect(whileUnbonding.transactions).toHaveTransaction({ to: w.stake.address, success: true });
        blockchain.now! += Number(params.workerUnbondingDelay);
        await w.stake.send(operator.getSender(), { value: toNano('0.05') }, { $$type: 'Withdraw', queryId: 0n });
        // Slashed by proof: the account keeps its record of used request ids (and no TON) for the key's next
        // registration; everything else went to the owner.
        expect(await balanceOf(blockchain, w.stake.address)).toBe(0n);
        expect((await w.stake.getState()).status).toBe(0n);
        expect(await w.stake.getIsRequestSlashed(1n)).toBe(true);
        const late = await w.stake.send(stranger.getSender(), PROOF_VALUE, proof(w, receipt(2n, 1n), receipt(2n, 2n)));
        expect(late.transactions).toHaveTransaction({
            from: w.stake.address,
            to: stranger.address,
            inMessageBounced: true,
        });
        const ownerBefore = await owner.getBalance();
        const gov = await registry.send(owner.getSender(), PROOF_VALUE, {
            $$type: 'SlashWorker',
            queryId: 0n,
            stake: w.stake.address,
            reason: 1n,
            fractionBps: 100n,
        });
        // The Slash bounces to the registry, which reports it and returns the value to its owner.
        expect(gov.transactions).toHaveTransaction({
            from: w.stake.address,
            to: registry.address,
            inMessageBounced: true,
        });
        expect(eventsOf(gov, 0x5247e00c).length).toBe(1);
        expect(gov.transactions).toHaveTransaction({ from: registry.address, to: owner.address });
        expect(ownerBefore - (await owner.getBalance())).toBeLessThan(toNano('0.01'));
    });

    it("a proof already used cannot slash the key's next registration; a withdrawn stake never slashed is deleted", async () => {
        const { operator, stranger, blockchain, params } = snap.net;
        const used = proof(w, receipt(5n, 1n), receipt(5n, 2n));
        await w.stake.send(stranger.getSender(), PROOF_VALUE, used);
        await w.stake.send(operator.getSender(), { value: toNano('0.05') }, { $$type: 'StartUnbonding', queryId: 0n });
        blockchain.now! += Number(params.workerUnbondingDelay);
        const out = await w.stake.send(
            operator.getSender(),
            { value: toNano('0.05') },
            { $$type: 'Withdraw', queryId: 0n },
        );
        expect(out.transactions).toHaveTransaction({ from: w.stake.address, to: operator.address });
        // Registered again (same key, fresh bond): the used proof is refused, a new equivocation still slashes.
        const again = await registerWorker(snap.net, 'slashable', { bond: toNano('10') });
        expect(again.stake.address.equals(w.stake.address)).toBe(true);
        expect(await again.stake.getState()).toMatchObject({ status: 1n, stake: toNano('10') });
        const replay = await again.stake.send(stranger.getSender(), PROOF_VALUE, used);
        expect(replay.transactions).toHaveTransaction({
            to: again.stake.address,
            exitCode: code(ERR_STAKE_ALREADY_SLASHED_FOR_REQUEST),
        });
        expect((await again.stake.getState()).stake).toBe(toNano('10'));
        const fresh = await again.stake.send(
            stranger.getSender(),
            PROOF_VALUE,
            proof(w, receipt(6n, 1n), receipt(6n, 2n)),
        );
        expect(fresh.transactions).toHaveTransaction({ to: again.stake.address, success: true });
        // A stake never slashed by proof is deleted on withdrawal, as before.
        const clean = await registerWorker(snap.net, 'never-slashed', { bond: toNano('5') });
        await clean.stake.send(
            operator.getSender(),
            { value: toNano('0.05') },
            { $$type: 'StartUnbonding', queryId: 0n },
        );
        blockchain.now! += Number(params.workerUnbondingDelay);
        await clean.stake.send(operator.getSender(), { value: toNano('0.05') }, { $$type: 'Withdraw', queryId: 0n });
        expect((await blockchain.getContract(clean.stake.address)).accountState).toBeUndefined();
    });

    it('receipt cells built off chain are what the contract hashes (tag and layout)', async () => {
        const s = signReceipt(receipt(3n, 4n), w.keyPair.secretKey);
        const slice = s.cell.beginParse();
        expect(slice.loadUint(32)).toBe(0x52435054);
        expect(s.cell.refs.length).toBe(1);
        expect(Cell.fromBoc(s.cell.toBoc())[0].hash().equals(s.cell.hash())).toBe(true);
    });
});

describe('No TON is stranded', () => {
    it('after every position is closed, stakes hold nothing (deleted unless slashed by proof) and the registry only its reserve', async () => {
        const net = await deployNetwork();
        registry = net.registry.address;
        const workers = [
            await registerWorker(net, 'a', { bond: toNano('5') }),
            await registerWorker(net, 'b', { bond: toNano('8') }),
            await registerWorker(net, 'c', { bond: toNano('6') }),
        ];
        await workers[0].stake.send(net.operator.getSender(), { value: toNano('3') }, { $$type: 'TopUp', queryId: 0n });
        await net.registry.send(net.owner.getSender(), PROOF_VALUE, {
            $$type: 'SlashWorker',
            queryId: 0n,
            stake: workers[1].stake.address,
            reason: 2n,
            fractionBps: 5000n,
        });
        await workers[2].stake.send(
            net.stranger.getSender(),
            PROOF_VALUE,
            proof(workers[2], receipt(1n, 1n), receipt(1n, 2n)),
        );
        for (const w of workers) {
            await w.stake.send(
                net.operator.getSender(),
                { value: toNano('0.05') },
                { $$type: 'StartUnbonding', queryId: 0n },
            );
        }
        net.blockchain.now! += Number(net.params.workerUnbondingDelay);
        for (const w of workers) {
            const res = await w.stake.send(
                net.operator.getSender(),
                { value: toNano('0.05') },
                { $$type: 'Withdraw', queryId: 0n },
            );
            expect(res.transactions).toHaveTransaction({
                from: w.stake.address,
                to: net.operator.address,
                success: true,
            });
            // Withdrawal sends the whole balance and deletes the account, except one slashed by proof (workers[2]),
            // which keeps only its used request ids.
            expect(await balanceOf(net.blockchain, w.stake.address)).toBe(0n);
            const state = (await net.blockchain.getContract(w.stake.address)).accountState;
            if (w === workers[2]) expect(state?.type).toBe('active');
            else expect(state).toBeUndefined();
        }
        const registryBalance = await balanceOf(net.blockchain, net.registry.address);
        // The registry keeps its reserve less the forwarding fees of its governance events (~0.0004 TON each, paid
        // from its balance: governance messages return everything compute left, docs/contracts-registry.md).
        expect(registryBalance).toBeLessThanOrEqual(REGISTRY_STORAGE_RESERVE);
        expect(registryBalance).toBeGreaterThan(REGISTRY_STORAGE_RESERVE - toNano('0.005'));
    });
});
