// Issue 11, Registry side: signed registration (item 4), the timelock that protects stakers (item 5), bounds on
// every parameter (items 6 and 8) and an owner-only unpause (item 9). Each case is the review's attack with its
// figures, now refused with a named error from the generated error map.
import '@ton/test-utils';
import { Address, beginCell, toNano } from '@ton/core';
import {
    ERR_BAD_FRACTION,
    ERR_BAD_WORKER_SIGNATURE,
    ERR_CHANGE_TOO_EARLY,
    ERR_CHILD_CODE_TIMELOCKED,
    ERR_INVALID_PARAMS,
    ERR_NO_PENDING_CHANGE,
    ERR_NOT_OWNER,
    ERR_PARAMS_TIMELOCKED,
    ERR_REGISTRATION_EXPIRED,
    MAX_CLOSE_DELAY,
    MAX_GOVERNANCE_SLASH_BPS,
    MAX_REPORTER_BOUNTY_BPS,
    MAX_WORKER_UNBONDING_DELAY,
    MIN_PROXY_CLOSE_DELAY,
    MIN_SLASH_FRACTION_BPS,
    MIN_WORKER_UNBONDING_DELAY,
    NetworkParams,
    REGISTER_WORKER_FEE,
    Registry,
    UPGRADE_TIMELOCK,
} from '../../wrappers/Registry';
import { WorkerStake } from '../../wrappers/WorkerStake';
import { defaultNetworkParams } from '../../wrappers/registryParams';
import { signWorkerRegistration } from '../../worker-runtime/src/protocol/registration';
import {
    keyToUint,
    NetworkSnapshot,
    deployNetwork,
    registerWorker,
    registrationConsent,
    workerKeyPair,
    workerStakeCode,
} from '../fixtures/network';
import { balanceOf, code } from '../fixtures/chain';

const ADMIN = { value: toNano('0.05') };

describe('issue 11: registry hardening', () => {
    let snap: NetworkSnapshot;
    beforeAll(async () => {
        snap = new NetworkSnapshot(await deployNetwork());
        snap.save();
    });
    beforeEach(async () => snap.restore());

    describe('item 4: only the key holder can have a key bonded, for the owner and registry it signed', () => {
        const holder = workerKeyPair('victim-key');
        const register = async (
            from: 'operator' | 'stranger',
            consent: { expiry: bigint; signature: Buffer },
            bond = toNano('5'),
        ) => {
            const net = snap.net;
            return net.registry.send(
                net[from].getSender(),
                { value: bond + REGISTER_WORKER_FEE },
                {
                    $$type: 'RegisterWorker',
                    queryId: 0n,
                    workerKey: keyToUint(holder.publicKey),
                    modelHash: net.modelHash,
                    imageHash: net.workerImageHash,
                    ...consent,
                },
            );
        };

        it('a squatter cannot bond a key he does not hold; the holder then registers it', async () => {
            const net = snap.net;
            const refused = (res: Awaited<ReturnType<typeof register>>, exit: bigint) => {
                expect(res.transactions).toHaveTransaction({ to: net.registry.address, exitCode: code(exit) });
                expect(res.transactions).not.toHaveTransaction({ from: net.registry.address, deploy: true });
            };
            // Before the fix a squatter bonded the victim's key with himself as owner, no signature asked.
            const squatterKey = workerKeyPair('squatter');
            refused(
                await register('stranger', registrationConsent(net, squatterKey, net.stranger.address)),
                ERR_BAD_WORKER_SIGNATURE,
            );
            // The holder's consent names its owner: another sender cannot use it.
            const forOperator = registrationConsent(net, holder, net.operator.address);
            refused(await register('stranger', forOperator), ERR_BAD_WORKER_SIGNATURE);
            // ...and its registry: a signature for another network's registry does not work here.
            const otherRegistry = new Address(0, Buffer.alloc(32, 9));
            const expiry = net.blockchain.now! + 600;
            const elsewhere = signWorkerRegistration(
                { registry: otherRegistry, owner: net.operator.address, expiry },
                holder.secretKey,
            );
            refused(
                await register('operator', { expiry: BigInt(expiry), signature: elsewhere }),
                ERR_BAD_WORKER_SIGNATURE,
            );
            // ...and its expiry: the signature covers it, and an expired one is refused.
            refused(
                await register('operator', { expiry: forOperator.expiry + 1n, signature: forOperator.signature }),
                ERR_BAD_WORKER_SIGNATURE,
            );
            const stale = registrationConsent(net, holder, net.operator.address, net.blockchain.now! - 1);
            refused(await register('operator', stale), ERR_REGISTRATION_EXPIRED);

            const ok = await register('operator', forOperator);
            const stake = net.blockchain.openContract(
                WorkerStake.fromAddress(await net.registry.getWorkerStakeAddress(keyToUint(holder.publicKey))),
            );
            expect(ok.transactions).toHaveTransaction({ to: stake.address, deploy: true, success: true });
            expect((await stake.getState()).owner.equals(net.operator.address)).toBe(true);
        });
    });

    describe('item 5: the timelock protects stakers', () => {
        it('replacing the WorkerStake code is timelocked: a registration in the same second still gets the old code', async () => {
            const net = snap.net;
            // Before the fix: SetChildCode(kind 1, code that forwards its balance) took effect at once, and a 20 TON
            // registration in the same second cost its operator 20.03 TON.
            const draining = beginCell().storeUint(0xf232, 16).endCell();
            const now = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'SetChildCode',
                queryId: 0n,
                kind: 1n,
                code: draining,
            });
            expect(now.transactions).toHaveTransaction({ exitCode: code(ERR_CHILD_CODE_TIMELOCKED) });
            await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'ScheduleChildCode',
                queryId: 0n,
                kind: 1n,
                code: draining,
            });
            const pending = (await net.registry.getGovernance()).pendingChange!;
            expect(pending.kind).toBe(1n);
            expect(pending.notBefore).toBe(BigInt(net.blockchain.now!) + UPGRADE_TIMELOCK);
            const w = await registerWorker(net, 'same-second', { bond: toNano('20') });
            expect((await w.stake.getState()).stake).toBe(toNano('20'));
            expect((await net.registry.getWorkerStakeCode()).equals(await workerStakeCode())).toBe(true);
            const early = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'ExecuteChange',
                queryId: 0n,
            });
            expect(early.transactions).toHaveTransaction({ exitCode: code(ERR_CHANGE_TOO_EARLY) });
            // The owner may cancel; then nothing is pending.
            await net.registry.send(net.owner.getSender(), ADMIN, { $$type: 'CancelChange', queryId: 0n });
            expect((await net.registry.getGovernance()).pendingChange).toBeNull();
            const none = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'ExecuteChange',
                queryId: 0n,
            });
            expect(none.transactions).toHaveTransaction({ exitCode: code(ERR_NO_PENDING_CHANGE) });
        });

        it('a new treasury is timelocked, a governance slash is capped, and a staker leaves before the change lands', async () => {
            const net = snap.net;
            const w = await registerWorker(net, 'fresh', { bond: toNano('20') });
            // Before the fix: SetParams(treasury = owner), then a 100 % SlashWorker netted the owner 19.99 TON.
            const grab = { ...net.params, treasury: net.owner.address };
            const set = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'SetParams',
                queryId: 0n,
                params: grab,
            });
            expect(set.transactions).toHaveTransaction({ exitCode: code(ERR_PARAMS_TIMELOCKED) });
            for (const terms of [
                { slashFractionBps: 10000n },
                { reporterBountyBps: 0n },
                { workerUnbondingDelay: net.params.workerUnbondingDelay + 1n },
            ]) {
                const res = await net.registry.send(net.owner.getSender(), ADMIN, {
                    $$type: 'SetParams',
                    queryId: 0n,
                    params: { ...net.params, ...terms },
                });
                expect(res.transactions).toHaveTransaction({ exitCode: code(ERR_PARAMS_TIMELOCKED) });
            }
            const full = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'SlashWorker',
                queryId: 0n,
                stake: w.stake.address,
                reason: 1n,
                fractionBps: MAX_GOVERNANCE_SLASH_BPS + 1n,
            });
            expect(full.transactions).toHaveTransaction({ exitCode: code(ERR_BAD_FRACTION) });

            // The change is scheduled; the staker sees it (getter, event) and unbonds at once.
            await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'ScheduleParams',
                queryId: 0n,
                params: grab,
            });
            const scheduledAt = net.blockchain.now!;
            await w.stake.send(net.operator.getSender(), ADMIN, { $$type: 'StartUnbonding', queryId: 0n });
            // Even with the longest unbonding delay a stake can have, the timelock lasts longer.
            expect(UPGRADE_TIMELOCK).toBeGreaterThan(MAX_WORKER_UNBONDING_DELAY);
            net.blockchain.now = scheduledAt + Number(net.params.workerUnbondingDelay);
            const early = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'ExecuteChange',
                queryId: 0n,
            });
            expect(early.transactions).toHaveTransaction({ exitCode: code(ERR_CHANGE_TOO_EARLY) });
            const out = await w.stake.send(net.operator.getSender(), ADMIN, { $$type: 'Withdraw', queryId: 0n });
            expect(out.transactions).toHaveTransaction({
                from: w.stake.address,
                to: net.operator.address,
                success: true,
            });

            net.blockchain.now = scheduledAt + Number(UPGRADE_TIMELOCK);
            const executed = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'ExecuteChange',
                queryId: 0n,
            });
            expect(executed.transactions).toHaveTransaction({ to: net.registry.address, success: true });
            expect((await net.registry.getStakeTerms()).treasury.equals(net.owner.address)).toBe(true);
            expect((await net.registry.getParams()).treasury.equals(net.owner.address)).toBe(true);
            expect(await net.registry.getParamsVersion()).toBe(2n);
        });

        it('a scheduled child code lands after the timelock and new stakes deploy with it', async () => {
            const net = snap.net;
            const proxyCode = beginCell().storeUint(0xabc, 12).endCell();
            // An empty billing slot can be filled at once (first deployment); replacing it is timelocked.
            await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'SetChildCode',
                queryId: 0n,
                kind: 2n,
                code: proxyCode,
            });
            const replace = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'SetChildCode',
                queryId: 0n,
                kind: 2n,
                code: beginCell().endCell(),
            });
            expect(replace.transactions).toHaveTransaction({ exitCode: code(ERR_CHILD_CODE_TIMELOCKED) });
            const next = beginCell().storeUint(0xdef, 12).endCell();
            await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'ScheduleChildCode',
                queryId: 0n,
                kind: 2n,
                code: next,
            });
            net.blockchain.now! += Number(UPGRADE_TIMELOCK);
            await net.registry.send(net.owner.getSender(), ADMIN, { $$type: 'ExecuteChange', queryId: 0n });
            expect((await net.registry.getProxyCode())!.equals(next)).toBe(true);
        });
    });

    describe('items 6 and 8: every parameter is bounded', () => {
        const cases = (p: NetworkParams): [string, Partial<NetworkParams>][] => [
            // 30 days typed in ms: before the fix it was accepted and StartUnbonding then failed forever (exit 5).
            ['an unbonding delay in milliseconds', { workerUnbondingDelay: 2_592_000_000n }],
            ['an unbonding delay above the maximum', { workerUnbondingDelay: MAX_WORKER_UNBONDING_DELAY + 1n }],
            // Before the fix a zero delay let a worker withdraw in the second it started unbonding (a proof: 517).
            ['a zero unbonding delay', { workerUnbondingDelay: 0n }],
            ['an unbonding delay under a day', { workerUnbondingDelay: MIN_WORKER_UNBONDING_DELAY - 1n }],
            ['a client close delay in milliseconds', { clientCloseDelay: 2_592_000_000n }],
            ['a proxy close delay above the maximum', { proxyCloseDelay: MAX_CLOSE_DELAY + 1n }],
            // A Proxy refuses to activate under this (the workers' claim window): the registry must not accept it.
            ['a proxy close delay under the claim window', { proxyCloseDelay: MIN_PROXY_CLOSE_DELAY - 1n }],
            // Before the fix a 100 % bounty with a 100 % fraction let a worker report itself and keep 9.99 of 10 TON.
            ['a 100 % reporter bounty', { reporterBountyBps: 10000n, slashFractionBps: 10000n }],
            ['a bounty above the maximum', { reporterBountyBps: MAX_REPORTER_BOUNTY_BPS + 1n }],
            ['a zero slash fraction', { slashFractionBps: 0n }],
            ['a slash fraction under the minimum', { slashFractionBps: MIN_SLASH_FRACTION_BPS - 1n }],
            ['a fraction above 100 %', { slashFractionBps: 10001n }],
            ['a worker fee above the price', { workerFeePerToken: p.pricePerToken + 1n }],
        ];

        it('SetParams and ScheduleParams refuse each out-of-bounds set (ERR_INVALID_PARAMS); so does the deployer', async () => {
            const net = snap.net;
            for (const [what, over] of cases(net.params)) {
                const params = { ...net.params, ...over };
                for (const $$type of ['SetParams', 'ScheduleParams'] as const) {
                    const res = await net.registry.send(net.owner.getSender(), ADMIN, { $$type, queryId: 0n, params });
                    expect({ what, $$type, tx: res.transactions[1] }).toMatchObject({
                        tx: { description: { computePhase: { exitCode: code(ERR_INVALID_PARAMS) } } },
                    });
                }
                const code0 = await workerStakeCode();
                await expect(async () => Registry.fromInit(net.owner.address, params, code0)).rejects.toThrow(
                    /invalid params/,
                );
            }
            expect(await net.registry.getParamsVersion()).toBe(1n);
            // The bounds themselves are accepted.
            const edge = defaultNetworkParams(net.treasury.address, {
                workerUnbondingDelay: MAX_WORKER_UNBONDING_DELAY,
                proxyCloseDelay: MAX_CLOSE_DELAY,
                clientCloseDelay: MAX_CLOSE_DELAY,
                reporterBountyBps: MAX_REPORTER_BOUNTY_BPS,
                slashFractionBps: MIN_SLASH_FRACTION_BPS,
            });
            const ok = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'ScheduleParams',
                queryId: 0n,
                params: edge,
            });
            expect(ok.transactions).toHaveTransaction({ to: net.registry.address, success: true });
        });

        it('with the longest delay allowed, unbonding still works (no uint32 overflow)', async () => {
            const net = snap.net;
            await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'ScheduleParams',
                queryId: 0n,
                params: { ...net.params, workerUnbondingDelay: MAX_WORKER_UNBONDING_DELAY },
            });
            net.blockchain.now! += Number(UPGRADE_TIMELOCK);
            await net.registry.send(net.owner.getSender(), ADMIN, { $$type: 'ExecuteChange', queryId: 0n });
            const w = await registerWorker(net, 'long-delay');
            const res = await w.stake.send(net.operator.getSender(), ADMIN, { $$type: 'StartUnbonding', queryId: 0n });
            expect(res.transactions).toHaveTransaction({ to: w.stake.address, success: true });
            net.blockchain.now! += Number(MAX_WORKER_UNBONDING_DELAY);
            const out = await w.stake.send(net.operator.getSender(), ADMIN, { $$type: 'Withdraw', queryId: 0n });
            expect(out.transactions).toHaveTransaction({ from: w.stake.address, to: net.operator.address });
            expect(await balanceOf(net.blockchain, w.stake.address)).toBe(0n);
        });
    });

    it('item 9: the halter can pause, only the owner can unpause', async () => {
        const { registry, halter, owner } = snap.net;
        await registry.send(owner.getSender(), ADMIN, { $$type: 'Pause', queryId: 0n });
        const undo = await registry.send(halter.getSender(), ADMIN, { $$type: 'Unpause', queryId: 0n });
        expect(undo.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_OWNER) });
        expect((await registry.getGovernance()).paused).toBe(true);
        await registry.send(owner.getSender(), ADMIN, { $$type: 'Unpause', queryId: 0n });
        await registry.send(halter.getSender(), ADMIN, { $$type: 'Pause', queryId: 0n });
        expect((await registry.getGovernance()).paused).toBe(true);
        const again = await registry.send(halter.getSender(), ADMIN, { $$type: 'Unpause', queryId: 0n });
        expect(again.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_OWNER) });
    });
});
