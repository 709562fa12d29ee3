import '@ton/test-utils';
import { Address, beginCell, Cell, toNano } from '@ton/core';
import {
    ERR_NO_PENDING_UPGRADE,
    ERR_NOT_OWNER,
    ERR_TIMELOCK_TOO_SHORT,
    ERR_UPGRADE_TOO_EARLY,
    UPGRADE_TIMELOCK,
} from '../../wrappers/Registry';
import { RegistryV2 } from '../../wrappers/RegistryV2';
import { deployNetwork, hashOf, NetworkSnapshot, registerWorker } from '../fixtures/network';
import { code } from '../fixtures/chain';

const ADMIN = { value: toNano('0.05') };

/** JSON with addresses and bigints as strings, so that deep equality compares values, not object identities. */
function normalise(x: unknown): string {
    return JSON.stringify(x, (_k, v) =>
        typeof v === 'bigint' ? v.toString() : v instanceof Address ? v.toString() : v,
    );
}

describe('Registry upgrades: timelocked ScheduleUpgrade / CancelUpgrade / ExecuteUpgrade', () => {
    let snap: NetworkSnapshot;
    let newCode: Cell;
    beforeAll(async () => {
        const net = await deployNetwork();
        // Put state in every field so that the upgrade test can check each one survives.
        const { registry, owner, stranger } = net;
        await registry.send(owner.getSender(), ADMIN, {
            $$type: 'AllowWorkerImage',
            queryId: 0n,
            imageHash: hashOf('img-b'),
        });
        await registry.send(owner.getSender(), ADMIN, {
            $$type: 'RegisterProxy',
            queryId: 0n,
            proxyId: 1n,
            publicKey: 99n,
            proxyAddress: stranger.address,
            endpoint: 'https://proxy-1',
        });
        await registry.send(owner.getSender(), ADMIN, {
            $$type: 'SetChildCode',
            queryId: 0n,
            kind: 2n,
            code: beginCell().storeUint(2, 8).endCell(),
        });
        await registry.send(owner.getSender(), ADMIN, {
            $$type: 'ProposeOwner',
            queryId: 0n,
            newOwner: stranger.address,
        });
        await registry.send(owner.getSender(), ADMIN, {
            $$type: 'SetParams',
            queryId: 0n,
            params: { ...net.params, pricePerToken: 5000n },
        });
        await registerWorker(net, 'before-upgrade');
        const v2 = await RegistryV2.fromInit(owner.address, net.params, Cell.EMPTY);
        newCode = v2.init!.code;
        snap = new NetworkSnapshot(net);
        snap.save();
    });
    beforeEach(async () => snap.restore());

    const schedule = (notBefore: bigint, data: Cell | null = null, by = snap.net.owner) =>
        snap.net.registry.send(by.getSender(), ADMIN, {
            $$type: 'ScheduleUpgrade',
            queryId: 0n,
            code: newCode,
            data,
            notBefore,
        });

    it('rejects a notBefore inside the timelock, and strangers', async () => {
        const now = BigInt(snap.net.blockchain.now!);
        const early = await schedule(now + UPGRADE_TIMELOCK - 1n);
        expect(early.transactions).toHaveTransaction({ exitCode: code(ERR_TIMELOCK_TOO_SHORT) });
        const stranger = await schedule(now + UPGRADE_TIMELOCK, null, snap.net.stranger);
        expect(stranger.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_OWNER) });
        expect((await snap.net.registry.getGovernance()).pendingUpgrade).toBeNull();
    });

    it('executing early or by a stranger fails; cancel removes the pending upgrade', async () => {
        const { registry, owner, stranger, blockchain } = snap.net;
        const notBefore = BigInt(blockchain.now!) + UPGRADE_TIMELOCK;
        await schedule(notBefore);
        const pending = (await registry.getGovernance()).pendingUpgrade;
        expect(pending?.notBefore).toBe(notBefore);
        expect(pending?.code.hash().equals(newCode.hash())).toBe(true);
        const tooEarly = await registry.send(owner.getSender(), ADMIN, { $$type: 'ExecuteUpgrade', queryId: 0n });
        expect(tooEarly.transactions).toHaveTransaction({ exitCode: code(ERR_UPGRADE_TOO_EARLY) });
        blockchain.now = Number(notBefore);
        const byStranger = await registry.send(stranger.getSender(), ADMIN, { $$type: 'ExecuteUpgrade', queryId: 0n });
        expect(byStranger.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_OWNER) });
        const cancelByStranger = await registry.send(stranger.getSender(), ADMIN, {
            $$type: 'CancelUpgrade',
            queryId: 0n,
        });
        expect(cancelByStranger.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_OWNER) });
        await registry.send(owner.getSender(), ADMIN, { $$type: 'CancelUpgrade', queryId: 0n });
        expect((await registry.getGovernance()).pendingUpgrade).toBeNull();
        const nothing = await registry.send(owner.getSender(), ADMIN, { $$type: 'ExecuteUpgrade', queryId: 0n });
        expect(nothing.transactions).toHaveTransaction({ exitCode: code(ERR_NO_PENDING_UPGRADE) });
        expect(await registry.getCodeRevision()).toBe(1n);
    });

    it('upgrades to a second code version after the timelock and keeps every field', async () => {
        const { registry, owner, blockchain } = snap.net;
        const read = async () => ({
            governance: await registry.getGovernance(),
            params: await registry.getParams(),
            stakeTerms: await registry.getStakeTerms(),
            workerImages: (await registry.getWorkerImages()).keys().sort(),
            proxyImages: (await registry.getProxyImages()).keys().sort(),
            models: [...(await registry.getModels()).values()],
            proxies: [...(await registry.getProxies()).values()].map((p) => ({
                ...p,
                proxyAddress: p.proxyAddress.toString(),
            })),
            counts: await registry.getListCounts(),
            workerStakeCode: (await registry.getWorkerStakeCode()).hash().toString('hex'),
            proxyCode: (await registry.getProxyCode())?.hash().toString('hex'),
            stakeAddress: (await registry.getWorkerStakeAddress(42n)).toString(),
        });
        const before = await read();
        const notBefore = BigInt(blockchain.now!) + UPGRADE_TIMELOCK;
        await schedule(notBefore);
        blockchain.now = Number(notBefore);
        const res = await registry.send(owner.getSender(), ADMIN, { $$type: 'ExecuteUpgrade', queryId: 0n });
        expect(res.transactions).toHaveTransaction({ to: registry.address, success: true });
        const upgraded = blockchain.openContract(RegistryV2.fromAddress(registry.address));
        expect(await upgraded.getCodeRevision()).toBe(2n);
        expect(await upgraded.getUpgradedFeature()).toBe('registry v2');
        const after = await read();
        expect(after.governance.version).toBe(before.governance.version + 1n);
        expect(after.governance.pendingUpgrade).toBeNull();
        const strip = (g: typeof before.governance) => ({
            ...g,
            owner: g.owner.toString(),
            proposedOwner: g.proposedOwner?.toString(),
            halter: g.halter?.toString(),
            version: 0n,
            pendingUpgrade: null,
        });
        expect(strip(after.governance)).toEqual(strip(before.governance));
        expect(normalise({ ...after, governance: null })).toEqual(normalise({ ...before, governance: null }));
        // The upgraded registry still works: a worker registers through it.
        const w = await registerWorker(snap.net, 'after-upgrade');
        expect(w.result.transactions).toHaveTransaction({ to: w.stake.address, success: true });
    });

    it('an upgrade with data replaces the storage (a migration) in the same transaction', async () => {
        const { registry, owner, blockchain, params } = snap.net;
        // New data: a freshly initialised registry state built by the v2 code's own init, then run once.
        const fresh = await RegistryV2.fromInit(
            owner.address,
            { ...params, pricePerToken: 777n, workerFeePerToken: 700n },
            Cell.EMPTY,
        );
        const notBefore = BigInt(blockchain.now!) + UPGRADE_TIMELOCK;
        await schedule(notBefore, fresh.init!.data);
        blockchain.now = Number(notBefore);
        const res = await registry.send(owner.getSender(), ADMIN, { $$type: 'ExecuteUpgrade', queryId: 0n });
        expect(res.transactions).toHaveTransaction({ to: registry.address, success: true });
        const upgraded = blockchain.openContract(RegistryV2.fromAddress(registry.address));
        // The lazily initialised data runs v2's init on the next message.
        expect((await upgraded.getParams()).pricePerToken).toBe(777n);
        expect(await upgraded.getCodeRevision()).toBe(2n);
    });
});
