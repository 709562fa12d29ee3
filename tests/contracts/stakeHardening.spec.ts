// Issue 11, WorkerStake side: each attack the adversarial review reproduced, with its figures, now refused or
// harmless. Items 1 (bond theft through a bounced payout), 2 (slashing what is really there), 3 (equivocation only
// for the same request, model, input and registry) and the stake's storage (5 years of reserve, self-deletion).
import '@ton/test-utils';
import { Address, beginCell, Cell, toNano } from '@ton/core';
import { createShardAccount, internal, SandboxContract, SendMessageResult, TreasuryContract } from '@ton/sandbox';
import { KeyPair } from '@ton/crypto';
import { REGISTER_WORKER_FEE, storeRegisterWorker } from '../../wrappers/Registry';
import {
    ERR_STAKE_ALREADY_SLASHED_BY_GOVERNANCE,
    ERR_STAKE_RECEIPT_OTHER_REGISTRY,
    ERR_STAKE_RECEIPTS_OTHER_INPUT,
    ERR_STAKE_RECEIPTS_OTHER_MODEL,
    loadStakeSlashedEvent,
    STAKE_STORAGE_FUND,
    STAKE_STORAGE_RESERVE,
    WorkerStake,
} from '../../wrappers/WorkerStake';
import { Receipt, signReceipt } from '../../worker-runtime/src/protocol/receipt';
import {
    deployNetwork,
    keyToUint,
    Network,
    NetworkSnapshot,
    RegisteredWorker,
    registerWorker,
    registrationConsent,
    workerKeyPair,
} from '../fixtures/network';
import { balanceOf, code, eventsOf } from '../fixtures/chain';

const YEAR = 365 * 86400;
const ADMIN = { value: toNano('0.05') };
const SLASH_VALUE = { value: toNano('0.1') };
const SLASHED_EVENT = 0x5753e005;
const OP = { startUnbonding: 0x57530003, withdraw: 0x57530004 };

/** Value a transaction's inbound internal message carried. */
function valueOf(result: SendMessageResult, from: Address, to: Address): bigint {
    const tx = result.transactions.find(
        (t) =>
            t.inMessage?.info.src?.toString() === from.toString() &&
            t.inMessage?.info.dest?.toString() === to.toString(),
    );
    const info = tx?.inMessage?.info;
    if (!info || info.type !== 'internal') throw new Error(`no message ${from} -> ${to}`);
    return info.value.coins;
}

/**
 * An owner that is a contract refusing plain transfers (its code throws on every message, THROW 50); what it
 * "sends" is injected with its address as the source, as the review did.
 */
async function refusingOwner(net: Network, seed: number): Promise<Address> {
    const address = new Address(0, Buffer.alloc(32, seed));
    await net.blockchain.setShardAccount(
        address,
        createShardAccount({
            address,
            code: beginCell().storeUint(0xf232, 16).endCell(),
            data: Cell.EMPTY,
            balance: toNano('1'),
        }),
    );
    return address;
}

async function sendFrom(net: Network, from: Address, to: Address, value: bigint, body: Cell) {
    return net.blockchain.sendMessage(internal({ from, to, value, body }));
}

async function registerFrom(net: Network, from: Address, keyPair: KeyPair, bond: bigint) {
    const body = beginCell()
        .store(
            storeRegisterWorker({
                $$type: 'RegisterWorker',
                queryId: 0n,
                workerKey: keyToUint(keyPair.publicKey),
                modelHash: net.modelHash,
                imageHash: net.workerImageHash,
                ...registrationConsent(net, keyPair, from),
            }),
        )
        .endCell();
    return sendFrom(net, from, net.registry.address, bond + REGISTER_WORKER_FEE, body);
}

/**
 * Advances the chain by `years`, two years at a time, refilling the registry's storage reserve as its owner would
 * (the registry pays ~0.07 TON a year; the stake under test gets no transaction, so its storage accrues).
 */
async function age(net: Network, years: number): Promise<void> {
    for (let left = years; left > 0; left -= 2) {
        net.blockchain.now! += Math.min(2, left) * YEAR;
        await net.registry.send(
            net.owner.getSender(),
            { value: toNano('0.5') },
            { $$type: 'TopUpReserve', queryId: 0n },
        );
    }
}

const opBody = (op: number) => beginCell().storeUint(op, 32).storeUint(0, 64).endCell();

describe('issue 11 item 1: a withdrawal payout can never credit another registration', () => {
    it('the victim (an owner refusing transfers) keeps its 50 TON; the attacker who re-registers the key gets only his own 5', async () => {
        const net = await deployNetwork();
        // The attack needs the key: a key holder who signed for two owners (the victim, then the attacker).
        const key = workerKeyPair('shared-key');
        const victim = await refusingOwner(net, 0x71);
        const attacker = await net.blockchain.treasury('attacker');
        await registerFrom(net, victim, key, toNano('50'));
        const stake = net.blockchain.openContract(
            WorkerStake.fromAddress(await net.registry.getWorkerStakeAddress(keyToUint(key.publicKey))),
        );
        expect((await stake.getState()).owner.equals(victim)).toBe(true);
        await sendFrom(net, victim, stake.address, toNano('0.05'), opBody(OP.startUnbonding));
        net.blockchain.now! += Number(net.params.workerUnbondingDelay);
        const victimBefore = await balanceOf(net.blockchain, victim);
        const out = await sendFrom(net, victim, stake.address, toNano('0.05'), opBody(OP.withdraw));
        // The payout is non-bounceable: the victim's code rejects it (exit 50), yet the value is credited to it, and
        // no bounce goes back to the stake's address.
        expect(out.transactions).toHaveTransaction({ from: stake.address, to: victim, success: false, exitCode: 50 });
        const payout = out.transactions.find(
            (t) =>
                t.inMessage?.info.dest?.toString() === victim.toString() &&
                t.inMessage?.info.src?.toString() === stake.address.toString(),
        )!;
        expect(payout.inMessage!.info.type === 'internal' && payout.inMessage!.info.bounce).toBe(false);
        expect(out.transactions).not.toHaveTransaction({ to: stake.address, inMessageBounced: true });
        expect((await balanceOf(net.blockchain, victim)) - victimBefore).toBeGreaterThan(toNano('50'));
        expect((await net.blockchain.getContract(stake.address)).accountState).toBeUndefined();

        // The attacker registers the same key right away and withdraws as soon as he can: 5 TON and its fees, not
        // 55,113,281,445 nanoTON as before the fix.
        const reg = await registerWorker(net, 'shared-key', { from: attacker, bond: toNano('5') });
        expect(reg.result.transactions).toHaveTransaction({ to: stake.address, deploy: true, success: true });
        await stake.send(attacker.getSender(), ADMIN, { $$type: 'StartUnbonding', queryId: 0n });
        net.blockchain.now! += Number(net.params.workerUnbondingDelay);
        const attackerOut = await stake.send(attacker.getSender(), ADMIN, { $$type: 'Withdraw', queryId: 0n });
        const taken = valueOf(attackerOut, stake.address, attacker.address);
        expect(taken).toBeGreaterThan(toNano('5'));
        expect(taken).toBeLessThan(toNano('5') + REGISTER_WORKER_FEE + ADMIN.value * 2n);
    });
});

describe('issue 11 item 2: slashes take what the stake really holds and report what was paid', () => {
    let snap: NetworkSnapshot;
    let w: RegisteredWorker;
    beforeAll(async () => {
        const net = await deployNetwork();
        w = await registerWorker(net, 'aged', { bond: toNano('10') });
        snap = new NetworkSnapshot(net);
        snap.save();
    });
    beforeEach(async () => snap.restore());

    it('refused re-registrations are paid from their own value: 60 of them leave the stake balance unchanged', async () => {
        const { blockchain } = snap.net;
        const before = await balanceOf(blockchain, w.stake.address);
        const squatter = await blockchain.treasury('refused-owner');
        for (let i = 0; i < 60; i++) {
            // The key holder's consent for another owner: the stake refuses, the value goes back to that owner.
            const again = await registerWorker(snap.net, 'aged', { from: squatter, bond: toNano('5') });
            expect(again.result.transactions).toHaveTransaction({ from: w.stake.address, to: squatter.address });
        }
        // Before the fix each refusal's event (400,000 nanoTON) came out of the stake: 60 refusals, 0.024 TON.
        expect(await balanceOf(blockchain, w.stake.address)).toBe(before);
    });

    it('years after the storage fund ran out, a governance slash pays the treasury exactly what its event reports', async () => {
        const { registry, owner, treasury, blockchain } = snap.net;
        // 12 years: storage has eaten the whole fund and part of the bond (the review saw a 3-year-old stake pay 0).
        await age(snap.net, 12);
        const res = await registry.send(owner.getSender(), SLASH_VALUE, {
            $$type: 'SlashWorker',
            queryId: 0n,
            stake: w.stake.address,
            reason: 7n,
            fractionBps: 5000n,
        });
        expect(res.transactions).toHaveTransaction({ to: w.stake.address, success: true });
        const ev = loadStakeSlashedEvent(eventsOf(res, SLASHED_EVENT)[0]);
        const stateAfter = await w.stake.getState();
        // What the bond really held: less than the 10 TON of the `stake` field, all of it accounted for.
        const held = ev.amount + stateAfter.stake;
        expect(held).toBeLessThan(toNano('10'));
        expect(ev.amount).toBe(held / 2n);
        // The treasury got the amount plus what was left of the owner's 0.1 TON.
        const paid = valueOf(res, w.stake.address, treasury.address);
        expect(paid).toBeGreaterThan(ev.amount);
        expect(paid).toBeLessThan(ev.amount + SLASH_VALUE.value);
        // What is left covers the bond it records plus the reserve, less the slash event's forwarding fee (the reserve
        // is there to pay it).
        expect(await balanceOf(blockchain, w.stake.address)).toBeGreaterThanOrEqual(
            stateAfter.stake + STAKE_STORAGE_RESERVE - toNano('0.001'),
        );
    });

    it('years later, a proof slash pays the treasury and the honest reporter what its event reports', async () => {
        const { treasury, stranger, blockchain, params, registry } = snap.net;
        await age(snap.net, 12);
        const receipt = (outputHash: bigint): Receipt => ({
            requestId: 77n,
            modelHash: 1n,
            inputHash: 2n,
            outputHash,
            registry: registry.address,
        });
        const a = signReceipt(receipt(3n), w.keyPair.secretKey);
        const b = signReceipt(receipt(4n), w.keyPair.secretKey);
        const res = await w.stake.send(stranger.getSender(), SLASH_VALUE, {
            $$type: 'SlashByProof',
            queryId: 0n,
            receiptA: a.cell,
            signatureA: a.signature,
            receiptB: b.cell,
            signatureB: b.signature,
        });
        expect(res.transactions).toHaveTransaction({ to: w.stake.address, success: true });
        const ev = loadStakeSlashedEvent(eventsOf(res, SLASHED_EVENT)[0]);
        const held = ev.amount + (await w.stake.getState()).stake;
        expect(held).toBeLessThan(toNano('10'));
        expect(ev.amount).toBe((held * params.slashFractionBps) / 10000n);
        const bounty = (ev.amount * params.reporterBountyBps) / 10000n;
        expect(valueOf(res, w.stake.address, treasury.address)).toBe(ev.amount - bounty);
        expect(valueOf(res, w.stake.address, stranger.address)).toBeGreaterThan(bounty);
    });

    it('one governance slash per registration, at most MAX_GOVERNANCE_SLASH_BPS; the stake leaves service', async () => {
        const { registry, owner } = snap.net;
        const slash = (fractionBps: bigint) =>
            registry.send(owner.getSender(), SLASH_VALUE, {
                $$type: 'SlashWorker',
                queryId: 0n,
                stake: w.stake.address,
                reason: 1n,
                fractionBps,
            });
        await slash(5000n);
        expect((await w.stake.getState()).stake).toBe(toNano('5'));
        const second = await slash(5000n);
        expect(second.transactions).toHaveTransaction({
            to: w.stake.address,
            exitCode: code(ERR_STAKE_ALREADY_SLASHED_BY_GOVERNANCE),
        });
        // The refused Slash comes back to the registry owner who paid for it.
        expect(second.transactions).toHaveTransaction({ from: registry.address, to: owner.address });
        expect((await w.stake.getState()).stake).toBe(toNano('5'));
    });
});

describe('issue 11 item 3: only two receipts of the same computation on this network prove equivocation', () => {
    let snap: NetworkSnapshot;
    let w: RegisteredWorker;
    beforeAll(async () => {
        const net = await deployNetwork();
        w = await registerWorker(net, 'receipts', { bond: toNano('5') });
        snap = new NetworkSnapshot(net);
        snap.save();
    });
    beforeEach(async () => snap.restore());

    const base = (): Receipt => ({
        requestId: 77n,
        modelHash: 11n,
        inputHash: 22n,
        outputHash: 1n,
        registry: snap.net.registry.address,
    });

    async function prove(a: Receipt, b: Receipt) {
        const sa = signReceipt(a, w.keyPair.secretKey);
        const sb = signReceipt(b, w.keyPair.secretKey);
        return w.stake.send(snap.net.stranger.getSender(), SLASH_VALUE, {
            $$type: 'SlashByProof',
            queryId: 0n,
            receiptA: sa.cell,
            signatureA: sa.signature,
            receiptB: sb.cell,
            signatureB: sb.signature,
        });
    }

    it('request 77 with two inputs, or two models, is two computations: refused with a named error, bond intact', async () => {
        const otherInput = await prove(base(), { ...base(), inputHash: 23n, outputHash: 2n });
        expect(otherInput.transactions).toHaveTransaction({
            to: w.stake.address,
            exitCode: code(ERR_STAKE_RECEIPTS_OTHER_INPUT),
        });
        const otherModel = await prove(base(), { ...base(), modelHash: 12n, outputHash: 2n });
        expect(otherModel.transactions).toHaveTransaction({
            to: w.stake.address,
            exitCode: code(ERR_STAKE_RECEIPTS_OTHER_MODEL),
        });
        expect((await w.stake.getState()).stake).toBe(toNano('5'));
    });

    it('receipts bound to another registry (another network) cannot slash here, even as a pair', async () => {
        const testnet = new Address(0, Buffer.alloc(32, 0x5e));
        const mixed = await prove(base(), { ...base(), outputHash: 2n, registry: testnet });
        expect(mixed.transactions).toHaveTransaction({
            to: w.stake.address,
            exitCode: code(ERR_STAKE_RECEIPT_OTHER_REGISTRY),
        });
        const foreign = await prove({ ...base(), registry: testnet }, { ...base(), outputHash: 2n, registry: testnet });
        expect(foreign.transactions).toHaveTransaction({
            to: w.stake.address,
            exitCode: code(ERR_STAKE_RECEIPT_OTHER_REGISTRY),
        });
        expect((await w.stake.getState()).stake).toBe(toNano('5'));
    });

    it('the same request, model, input and registry with two outputs slashes', async () => {
        const res = await prove(base(), { ...base(), outputHash: 2n });
        expect(res.transactions).toHaveTransaction({ to: w.stake.address, success: true });
        expect((await w.stake.getState()).stake).toBe(toNano('4.5'));
    });
});

describe('issue 11 storage: a live stake lasts 5 years on its fund; a withdrawn one leaves nothing behind', () => {
    it('after 5 years the bond is whole: a 50 % governance slash takes exactly half of it', async () => {
        const net = await deployNetwork();
        const w = await registerWorker(net, 'five-years', { bond: toNano('10') });
        const start = await balanceOf(net.blockchain, w.stake.address);
        // Above the bond: STAKE_STORAGE_FUND and what the registration's compute left.
        expect(start - toNano('10')).toBeGreaterThan(STAKE_STORAGE_FUND);
        await age(net, 5);
        const res = await net.registry.send(net.owner.getSender(), SLASH_VALUE, {
            $$type: 'SlashWorker',
            queryId: 0n,
            stake: w.stake.address,
            reason: 1n,
            fractionBps: 5000n,
        });
        const storage = res.transactions.find(
            (t) => t.inMessage?.info.dest?.toString() === w.stake.address.toString(),
        )!.description;
        const fiveYears = storage.type === 'generic' ? storage.storagePhase!.storageFeesCollected : 0n;
        // The review measured 12,147,443 nanoTON a year for a stake.
        expect(fiveYears).toBeGreaterThan(5n * 10_000_000n);
        expect(fiveYears + STAKE_STORAGE_RESERVE).toBeLessThanOrEqual(start - toNano('10'));
        expect(loadStakeSlashedEvent(eventsOf(res, SLASHED_EVENT)[0]).amount).toBe(toNano('5'));
    });
});
