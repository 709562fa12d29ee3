import '@ton/test-utils';
import { Address, beginCell, Cell, toNano } from '@ton/core';
import { internal } from '@ton/sandbox';
import {
    ERR_IMAGE_NOT_ALLOWED,
    ERR_MODEL_NOT_ALLOWED,
    ERR_PAUSED,
    ERR_VALUE_TOO_LOW,
    REGISTER_WORKER_FEE,
    REGISTRY_STORAGE_RESERVE,
    UPGRADE_TIMELOCK,
} from '../../wrappers/Registry';
import {
    ERR_STAKE_NOT_ACTIVE,
    ERR_STAKE_NOT_OWNER,
    ERR_STAKE_NOT_REGISTRY,
    ERR_STAKE_NOT_UNBONDING,
    ERR_STAKE_UNBONDING_NOT_OVER,
    ERR_STAKE_VALUE_TOO_LOW,
    loadStakeActivatedEvent,
    loadStakeToppedUpEvent,
    loadUnbondingStartedEvent,
    loadStakeWithdrawnEvent,
    STAKE_STORAGE_RESERVE,
    STAKE_TOPUP_FEE,
    WorkerStake,
} from '../../wrappers/WorkerStake';
import {
    deployNetwork,
    hashOf,
    keyToUint,
    NetworkSnapshot,
    registerWorker,
    registrationConsent,
    workerKeyPair,
} from '../fixtures/network';
import { balanceOf, code, eventsOf } from '../fixtures/chain';

const STATUS = { none: 0n, active: 1n, unbonding: 2n, slashed: 3n };
const FEE = REGISTER_WORKER_FEE;
const OP = { activated: 0x5753e001, toppedUp: 0x5753e002, unbonding: 0x5753e003, withdrawn: 0x5753e004 };

describe('WorkerStake: registration and life cycle', () => {
    let snap: NetworkSnapshot;
    beforeAll(async () => {
        snap = new NetworkSnapshot(await deployNetwork());
        snap.save();
    });
    beforeEach(async () => snap.restore());

    it('RegisterWorker deploys the stake at initOf(registry, workerKey) with the stored code and activates it', async () => {
        const net = snap.net;
        const w = await registerWorker(net, 'w1', { bond: toNano('7') });
        const expected = await WorkerStake.fromInit(net.registry.address, w.workerKey);
        expect(w.stake.address.equals(expected.address)).toBe(true);
        expect(w.result.transactions).toHaveTransaction({
            from: net.registry.address,
            to: w.stake.address,
            deploy: true,
            success: true,
        });
        const state = await w.stake.getState();
        expect(state.status).toBe(STATUS.active);
        expect(state.owner.equals(net.operator.address)).toBe(true);
        expect(state.stake).toBe(toNano('7'));
        expect(state.modelHash).toBe(net.modelHash);
        expect(state.imageHash).toBe(net.workerImageHash);
        expect(state.registeredAt).toBe(BigInt(net.blockchain.now!));
        expect(state.unbondingDelay).toBe(net.params.workerUnbondingDelay);
        expect(state.slashFractionBps).toBe(net.params.slashFractionBps);
        expect(state.treasury?.equals(net.treasury.address)).toBe(true);
        const ev = loadStakeActivatedEvent(eventsOf(w.result, OP.activated)[0]);
        expect(ev.workerKey).toBe(w.workerKey);
        expect(ev.owner.equals(net.operator.address)).toBe(true);
        expect(ev.stake).toBe(toNano('7'));
        // The bond and the reserve are held; the unspent registration fee stays above them until withdrawal.
        const balance = await balanceOf(net.blockchain, w.stake.address);
        expect(balance).toBeGreaterThan(toNano('7') + STAKE_STORAGE_RESERVE);
        expect(balance).toBeLessThan(toNano('7') + FEE);
    });

    it('refuses (bounces, with the named exit code) when paused, image or model not allowed, or bond too low', async () => {
        const net = snap.net;
        const keyPair = workerKeyPair('refused');
        const workerKey = keyToUint(keyPair.publicKey);
        const attempt = async (over: { imageHash?: bigint; modelHash?: bigint; value?: bigint }) =>
            net.registry.send(
                net.operator.getSender(),
                { value: over.value ?? net.params.minWorkerStake + FEE },
                {
                    $$type: 'RegisterWorker',
                    queryId: 5n,
                    workerKey,
                    modelHash: over.modelHash ?? net.modelHash,
                    imageHash: over.imageHash ?? net.workerImageHash,
                    ...registrationConsent(net, keyPair, net.operator.address),
                },
            );
        const checks: [Awaited<ReturnType<typeof attempt>>, bigint][] = [
            [await attempt({ imageHash: hashOf('unknown image') }), ERR_IMAGE_NOT_ALLOWED],
            [await attempt({ modelHash: hashOf('unknown model') }), ERR_MODEL_NOT_ALLOWED],
            [await attempt({ value: net.params.minWorkerStake + FEE - 1n }), ERR_VALUE_TOO_LOW],
        ];
        await net.registry.send(net.halter.getSender(), { value: toNano('0.05') }, { $$type: 'Pause', queryId: 0n });
        checks.push([await attempt({}), ERR_PAUSED]);
        for (const [res, exit] of checks) {
            expect(res.transactions).toHaveTransaction({
                to: net.registry.address,
                success: false,
                exitCode: code(exit),
            });
            // Everything minus fees comes back to the sender as a bounce.
            expect(res.transactions).toHaveTransaction({
                from: net.registry.address,
                to: net.operator.address,
                inMessageBounced: true,
            });
        }
        const stake = await net.registry.getWorkerStakeAddress(workerKey);
        expect((await net.blockchain.getContract(stake)).accountState?.type).not.toBe('active');
    });

    it('a key already bonded cannot be registered again: the value goes back with RegistrationRefused', async () => {
        const net = snap.net;
        const w = await registerWorker(net, 'w1');
        const again = await registerWorker(net, 'w1', { from: net.stranger, bond: toNano('9') });
        expect(again.result.transactions).toHaveTransaction({ from: w.stake.address, to: net.stranger.address });
        const refund = again.result.transactions.find(
            (t) => t.inMessage?.info.src?.toString() === w.stake.address.toString(),
        )!;
        expect(refund.inMessage!.body.beginParse().loadUint(32)).toBe(0x57530009);
        const value = refund.inMessage!.info.type === 'internal' ? refund.inMessage!.info.value.coins : 0n;
        expect(value).toBeGreaterThan(toNano('9'));
        const state = await w.stake.getState();
        expect(state.owner.equals(net.operator.address)).toBe(true);
        expect(state.stake).toBe(net.params.minWorkerStake);
    });

    it('only the registry can activate or slash a stake', async () => {
        const net = snap.net;
        const w = await registerWorker(net, 'w1');
        const fake = await w.stake.send(
            net.stranger.getSender(),
            { value: toNano('1') },
            { $$type: 'Activate', queryId: 0n, owner: net.stranger.address, stake: toNano('100'), info: Cell.EMPTY },
        );
        expect(fake.transactions).toHaveTransaction({ to: w.stake.address, exitCode: code(ERR_STAKE_NOT_REGISTRY) });
        const slash = await w.stake.send(
            net.stranger.getSender(),
            { value: toNano('1') },
            { $$type: 'Slash', queryId: 0n, reason: 1n, fractionBps: 10000n },
        );
        expect(slash.transactions).toHaveTransaction({ to: w.stake.address, exitCode: code(ERR_STAKE_NOT_REGISTRY) });
        expect((await w.stake.getState()).stake).toBe(net.params.minWorkerStake);
    });

    it('top-up: owner only, active only, value above the fee', async () => {
        const net = snap.net;
        const w = await registerWorker(net, 'w1');
        const res = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('2') },
            { $$type: 'TopUp', queryId: 1n },
        );
        expect(res.transactions).toHaveTransaction({ to: w.stake.address, success: true });
        const expected = net.params.minWorkerStake + toNano('2') - STAKE_TOPUP_FEE;
        expect((await w.stake.getState()).stake).toBe(expected);
        expect(loadStakeToppedUpEvent(eventsOf(res, OP.toppedUp)[0]).stake).toBe(expected);
        const byStranger = await w.stake.send(
            net.stranger.getSender(),
            { value: toNano('2') },
            { $$type: 'TopUp', queryId: 1n },
        );
        expect(byStranger.transactions).toHaveTransaction({ to: w.stake.address, exitCode: code(ERR_STAKE_NOT_OWNER) });
        const low = await w.stake.send(
            net.operator.getSender(),
            { value: STAKE_TOPUP_FEE },
            { $$type: 'TopUp', queryId: 1n },
        );
        expect(low.transactions).toHaveTransaction({ to: w.stake.address, exitCode: code(ERR_STAKE_VALUE_TOO_LOW) });
        await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.05') },
            { $$type: 'StartUnbonding', queryId: 2n },
        );
        const late = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('2') },
            { $$type: 'TopUp', queryId: 3n },
        );
        expect(late.transactions).toHaveTransaction({ to: w.stake.address, exitCode: code(ERR_STAKE_NOT_ACTIVE) });
        expect((await w.stake.getState()).stake).toBe(expected);
    });

    it('unbonding then withdrawal after the delay returns everything and deletes the stake', async () => {
        const net = snap.net;
        const w = await registerWorker(net, 'w1');
        const early = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.05') },
            { $$type: 'Withdraw', queryId: 0n },
        );
        expect(early.transactions).toHaveTransaction({ to: w.stake.address, exitCode: code(ERR_STAKE_NOT_UNBONDING) });
        const byStranger = await w.stake.send(
            net.stranger.getSender(),
            { value: toNano('0.05') },
            {
                $$type: 'StartUnbonding',
                queryId: 0n,
            },
        );
        expect(byStranger.transactions).toHaveTransaction({ exitCode: code(ERR_STAKE_NOT_OWNER) });
        const lowValue = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.001') },
            {
                $$type: 'StartUnbonding',
                queryId: 0n,
            },
        );
        expect(lowValue.transactions).toHaveTransaction({ exitCode: code(ERR_STAKE_VALUE_TOO_LOW) });

        const unbond = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.05') },
            {
                $$type: 'StartUnbonding',
                queryId: 1n,
            },
        );
        const until = BigInt(net.blockchain.now!) + net.params.workerUnbondingDelay;
        expect(loadUnbondingStartedEvent(eventsOf(unbond, OP.unbonding)[0]).unbondingUntil).toBe(until);
        // No Excesses: the unused value stays above the bond and leaves with the withdrawal.
        expect(unbond.transactions).not.toHaveTransaction({ from: w.stake.address, to: net.operator.address });
        expect(await w.stake.getState()).toMatchObject({ status: STATUS.unbonding, unbondingUntil: until });
        const twice = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.05') },
            {
                $$type: 'StartUnbonding',
                queryId: 1n,
            },
        );
        expect(twice.transactions).toHaveTransaction({ exitCode: code(ERR_STAKE_NOT_ACTIVE) });

        net.blockchain.now = Number(until) - 1;
        const tooEarly = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.05') },
            { $$type: 'Withdraw', queryId: 2n },
        );
        expect(tooEarly.transactions).toHaveTransaction({ exitCode: code(ERR_STAKE_UNBONDING_NOT_OVER) });

        net.blockchain.now = Number(until);
        const lowWithdraw = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.001') },
            {
                $$type: 'Withdraw',
                queryId: 2n,
            },
        );
        expect(lowWithdraw.transactions).toHaveTransaction({ exitCode: code(ERR_STAKE_VALUE_TOO_LOW) });
        const byStrangerWithdraw = await w.stake.send(
            net.stranger.getSender(),
            { value: toNano('0.05') },
            {
                $$type: 'Withdraw',
                queryId: 2n,
            },
        );
        expect(byStrangerWithdraw.transactions).toHaveTransaction({ exitCode: code(ERR_STAKE_NOT_OWNER) });
        const before = await net.operator.getBalance();
        const held = await balanceOf(net.blockchain, w.stake.address);
        const out = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.05') },
            { $$type: 'Withdraw', queryId: 3n },
        );
        expect(out.transactions).toHaveTransaction({ from: w.stake.address, to: net.operator.address, success: true });
        expect(loadStakeWithdrawnEvent(eventsOf(out, OP.withdrawn)[0]).amount).toBe(net.params.minWorkerStake);
        // The whole balance (bond, unspent fees and the storage fund) went back; the account is deleted.
        expect((await net.blockchain.getContract(w.stake.address)).accountState).toBeUndefined();
        expect(await balanceOf(net.blockchain, w.stake.address)).toBe(0n);
        const gained = (await net.operator.getBalance()) - before;
        expect(gained).toBeGreaterThan(held - toNano('0.01'));
        // A second Withdraw reaches no contract: it bounces back to the sender.
        const again = await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.05') },
            { $$type: 'Withdraw', queryId: 4n },
        );
        expect(again.transactions).toHaveTransaction({
            from: w.stake.address,
            to: net.operator.address,
            inMessageBounced: true,
        });
    });

    it('a withdrawn key can be registered again (by a new owner)', async () => {
        const net = snap.net;
        const w = await registerWorker(net, 'w1');
        await w.stake.send(
            net.operator.getSender(),
            { value: toNano('0.05') },
            { $$type: 'StartUnbonding', queryId: 0n },
        );
        net.blockchain.now! += Number(net.params.workerUnbondingDelay);
        await w.stake.send(net.operator.getSender(), { value: toNano('0.05') }, { $$type: 'Withdraw', queryId: 0n });
        const again = await registerWorker(net, 'w1', { from: net.stranger, bond: toNano('6') });
        expect(again.result.transactions).toHaveTransaction({ to: w.stake.address, success: true, deploy: true });
        expect(await w.stake.getState()).toMatchObject({ status: STATUS.active, stake: toNano('6') });
        expect((await w.stake.getState()).owner.equals(net.stranger.address)).toBe(true);
    });

    it('a child that fails to deploy bounces to the registry, which returns the value to the one who paid', async () => {
        const net = snap.net;
        // Code that always throws (THROW 50): the Activate bounces back to the registry. Replacing the WorkerStake
        // code goes through the timelock.
        const broken = beginCell().storeUint(0xf232, 16).endCell();
        const admin = { value: toNano('0.05') };
        await net.registry.send(net.owner.getSender(), admin, {
            $$type: 'ScheduleChildCode',
            queryId: 0n,
            kind: 1n,
            code: broken,
        });
        net.blockchain.now! += Number(UPGRADE_TIMELOCK);
        await net.registry.send(net.owner.getSender(), admin, { $$type: 'ExecuteChange', queryId: 0n });
        const registryBefore = await balanceOf(net.blockchain, net.registry.address);
        for (const from of [net.operator, net.stranger]) {
            const before = await from.getBalance();
            const w = await registerWorker(net, `broken-${from === net.operator ? 'a' : 'b'}`, { from });
            expect(w.result.transactions).toHaveTransaction({
                from: w.stake.address,
                to: net.registry.address,
                inMessageBounced: true,
            });
            expect(eventsOf(w.result, 0x5247e00c).length).toBe(1);
            // Returned to the payer at once, as Excesses with his query id: he lost only the fees.
            expect(w.result.transactions).toHaveTransaction({
                from: net.registry.address,
                to: from.address,
                value: (v) => v! > net.params.minWorkerStake,
                body: beginCell().storeUint(0xd53276db, 32).storeUint(1n, 64).endCell(),
            });
            expect(before - (await from.getBalance())).toBeLessThan(toNano('0.1'));
        }
        // Nothing stayed in the registry (its own balance only paid the events' forwarding fees).
        const kept = (await balanceOf(net.blockchain, net.registry.address)) - registryBefore;
        expect(kept).toBeLessThanOrEqual(0n);
        expect(kept).toBeGreaterThan(-toNano('0.002'));
    });

    it('a bounced Activate whose owner is not the latest registrant stays in the registry for WithdrawSurplus', async () => {
        const net = snap.net;
        // A bounce that comes back after another registration reached the registry: lastRegistrant is someone else.
        // Delivered as the chain would deliver it (a bounced message from the stake, body cut to 256 bits).
        const late = await registerWorker(net, 'latecomer');
        const body = beginCell()
            .storeUint(0xffffffff, 32)
            .storeUint(0x57530001, 32)
            .storeUint(7n, 64)
            .storeUint(beginCell().storeAddress(net.stranger.address).endCell().beginParse().preloadUintBig(160), 160)
            .endCell();
        const before = await balanceOf(net.blockchain, net.registry.address);
        const r = await net.blockchain.sendMessage(
            internal({ from: late.stake.address, to: net.registry.address, value: toNano('5'), body, bounced: true }),
        );
        expect(r.transactions).toHaveTransaction({ to: net.registry.address, success: true });
        expect(r.transactions).not.toHaveTransaction({ from: net.registry.address, to: net.stranger.address });
        expect(r.transactions).not.toHaveTransaction({ from: net.registry.address, to: net.operator.address });
        expect(eventsOf(r, 0x5247e00c).length).toBe(1);
        expect((await balanceOf(net.blockchain, net.registry.address)) - before).toBeGreaterThan(toNano('4.99'));
        const refund = await net.registry.send(
            net.owner.getSender(),
            { value: toNano('0.05') },
            { $$type: 'WithdrawSurplus', queryId: 0n, to: net.stranger.address },
        );
        expect(refund.transactions).toHaveTransaction({ from: net.registry.address, to: net.stranger.address });
        expect(await balanceOf(net.blockchain, net.registry.address)).toBe(REGISTRY_STORAGE_RESERVE);
    });
});
