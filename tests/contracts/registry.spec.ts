import '@ton/test-utils';
import { beginCell, Cell, Dictionary, toNano } from '@ton/core';
import {
    ERR_ALREADY_LISTED,
    ERR_INVALID_PARAMS,
    ERR_LIST_FULL,
    ERR_NAME_TOO_LONG,
    ERR_NOT_HALTER,
    ERR_NOT_LISTED,
    ERR_NOT_OWNER,
    ERR_NOT_PROPOSED_OWNER,
    ERR_UNKNOWN_CHILD_KIND,
    ERR_VALUE_TOO_LOW,
    LIST_CAP,
    loadListChangedEvent,
    loadParamsSetEvent,
    REGISTRY_STORAGE_RESERVE,
} from '../../wrappers/Registry';
import { deployNetwork, hashOf, NetworkSnapshot } from '../fixtures/network';
import { balanceOf, code, eventsOf } from '../fixtures/chain';

const ADMIN = { value: toNano('0.05') };
const EXCESSES = 0xd53276db;

describe('Registry: governance, params, allow-lists, child code', () => {
    let snap: NetworkSnapshot;
    beforeAll(async () => {
        snap = new NetworkSnapshot(await deployNetwork());
        snap.save();
    });
    beforeEach(async () => snap.restore());

    it('deploys with the owner, params version 1, code revision 1 and the fixture allow-lists', async () => {
        const { registry, owner, halter, params } = snap.net;
        const gov = await registry.getGovernance();
        expect(gov.owner.equals(owner.address)).toBe(true);
        expect(gov.halter?.equals(halter.address)).toBe(true);
        expect(gov.paused).toBe(false);
        expect(gov.version).toBe(1n);
        expect(gov.paramsVersion).toBe(1n);
        expect(gov.pendingUpgrade).toBeNull();
        expect(await registry.getCodeRevision()).toBe(1n);
        const p = await registry.getParams();
        expect({ ...p, treasury: p.treasury.toString() }).toEqual({ ...params, treasury: params.treasury.toString() });
        expect(await registry.getListCounts()).toMatchObject({ workerImages: 1n, proxyImages: 1n, models: 1n });
    });

    it('two-step ownership transfer: propose, only the proposed address accepts', async () => {
        const { registry, owner, stranger, operator } = snap.net;
        const byStranger = await registry.send(stranger.getSender(), ADMIN, {
            $$type: 'ProposeOwner',
            queryId: 1n,
            newOwner: stranger.address,
        });
        expect(byStranger.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_OWNER) });

        const proposed = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'ProposeOwner',
            queryId: 2n,
            newOwner: operator.address,
        });
        expect(proposed.transactions).toHaveTransaction({ to: registry.address, success: true });
        expect((await registry.getGovernance()).proposedOwner?.equals(operator.address)).toBe(true);

        const wrongAccept = await registry.send(stranger.getSender(), ADMIN, { $$type: 'AcceptOwner', queryId: 3n });
        expect(wrongAccept.transactions).toHaveTransaction({
            to: registry.address,
            exitCode: code(ERR_NOT_PROPOSED_OWNER),
        });
        const accepted = await registry.send(operator.getSender(), ADMIN, { $$type: 'AcceptOwner', queryId: 4n });
        expect(accepted.transactions).toHaveTransaction({ to: registry.address, success: true });
        const gov = await registry.getGovernance();
        expect(gov.owner.equals(operator.address)).toBe(true);
        expect(gov.proposedOwner).toBeNull();
        // The old owner lost its rights; accepting twice is impossible.
        const oldOwner = await registry.send(owner.getSender(), ADMIN, { $$type: 'Pause', queryId: 5n });
        expect(oldOwner.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_HALTER) });
        const again = await registry.send(operator.getSender(), ADMIN, { $$type: 'AcceptOwner', queryId: 6n });
        expect(again.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_PROPOSED_OWNER) });
    });

    it('halter (or owner) pauses, only the owner unpauses; strangers cannot; SetHalter is owner-only', async () => {
        const { registry, halter, stranger, owner } = snap.net;
        const byStranger = await registry.send(stranger.getSender(), ADMIN, { $$type: 'Pause', queryId: 0n });
        expect(byStranger.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_HALTER) });
        const paused = await registry.send(halter.getSender(), ADMIN, { $$type: 'Pause', queryId: 0n });
        expect(paused.transactions).toHaveTransaction({ to: registry.address, success: true });
        expect(paused.externals.length).toBe(1);
        expect((await registry.getGovernance()).paused).toBe(true);
        await registry.send(owner.getSender(), ADMIN, { $$type: 'Unpause', queryId: 0n });
        expect((await registry.getGovernance()).paused).toBe(false);
        const setHalter = await registry.send(stranger.getSender(), ADMIN, {
            $$type: 'SetHalter',
            queryId: 0n,
            halter: stranger.address,
        });
        expect(setHalter.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_OWNER) });
        await registry.send(owner.getSender(), ADMIN, { $$type: 'SetHalter', queryId: 0n, halter: null });
        const oldHalter = await registry.send(halter.getSender(), ADMIN, { $$type: 'Pause', queryId: 0n });
        expect(oldHalter.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_HALTER) });
    });

    it('SetParams bumps paramsVersion, emits the params, updates the stake terms and rejects bad params', async () => {
        const { registry, owner, stranger, params } = snap.net;
        const next = { ...params, pricePerToken: 2000n, workerFeePerToken: 1500n, minClientStake: 7n };
        const res = await registry.send(owner.getSender(), ADMIN, { $$type: 'SetParams', queryId: 0n, params: next });
        expect(res.transactions).toHaveTransaction({ to: registry.address, success: true });
        const [event] = eventsOf(res, 0x5247e005);
        const decoded = loadParamsSetEvent(event);
        expect(decoded.paramsVersion).toBe(2n);
        expect(decoded.params.pricePerToken).toBe(2000n);
        expect(await registry.getParamsVersion()).toBe(2n);
        expect((await registry.getParams()).workerFeePerToken).toBe(1500n);
        // The stake terms are untouched (changing them needs ScheduleParams, tests/contracts/timelock.spec.ts).
        expect((await registry.getStakeTerms()).unbondingDelay).toBe(params.workerUnbondingDelay);

        const bad = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'SetParams',
            queryId: 0n,
            params: { ...params, workerFeePerToken: params.pricePerToken + 1n },
        });
        expect(bad.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_INVALID_PARAMS) });
        const badFraction = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'SetParams',
            queryId: 0n,
            params: { ...params, slashFractionBps: 10001n },
        });
        expect(badFraction.transactions).toHaveTransaction({ exitCode: code(ERR_INVALID_PARAMS) });
        const byStranger = await registry.send(stranger.getSender(), ADMIN, {
            $$type: 'SetParams',
            queryId: 0n,
            params: next,
        });
        expect(byStranger.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_OWNER) });
        expect(await registry.getParamsVersion()).toBe(2n);
    });

    it('governance messages need ADMIN_FEE and return the unused value as Excesses', async () => {
        const { registry, owner } = snap.net;
        const low = await registry.send(
            owner.getSender(),
            { value: toNano('0.005') },
            { $$type: 'AllowWorkerImage', queryId: 9n, imageHash: 5n },
        );
        expect(low.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_VALUE_TOO_LOW) });
        const ok = await registry.send(
            owner.getSender(),
            { value: toNano('1') },
            { $$type: 'AllowWorkerImage', queryId: 9n, imageHash: 5n },
        );
        const excess = ok.transactions.find(
            (t) =>
                t.inMessage?.info.src?.toString() === registry.address.toString() &&
                t.inMessage?.info.dest?.toString() === owner.address.toString(),
        );
        const body = excess!.inMessage!.body.beginParse();
        expect(body.loadUint(32)).toBe(EXCESSES);
        expect(body.loadUintBig(64)).toBe(9n);
        const returned = excess!.inMessage!.info.type === 'internal' ? excess!.inMessage!.info.value.coins : 0n;
        expect(returned).toBeGreaterThan(toNano('0.99'));
    });

    describe('every governance message: wrong sender and too little value fail early with named codes', () => {
        const h = 0xabcn;
        const messages = () => {
            const { stranger, params } = snap.net;
            return [
                { $$type: 'ProposeOwner' as const, queryId: 0n, newOwner: stranger.address },
                { $$type: 'SetHalter' as const, queryId: 0n, halter: stranger.address },
                { $$type: 'SetParams' as const, queryId: 0n, params },
                { $$type: 'AllowWorkerImage' as const, queryId: 0n, imageHash: h },
                { $$type: 'RemoveWorkerImage' as const, queryId: 0n, imageHash: snap.net.workerImageHash },
                { $$type: 'AllowProxyImage' as const, queryId: 0n, imageHash: h },
                { $$type: 'RemoveProxyImage' as const, queryId: 0n, imageHash: snap.net.proxyImageHash },
                { $$type: 'AllowModel' as const, queryId: 0n, modelHash: h, kind: 1n, name: 'm' },
                { $$type: 'RemoveModel' as const, queryId: 0n, modelHash: snap.net.modelHash },
                {
                    $$type: 'RegisterProxy' as const,
                    queryId: 0n,
                    proxyId: 1n,
                    publicKey: 1n,
                    proxyAddress: stranger.address,
                    endpoint: 'https://p',
                },
                { $$type: 'RemoveProxy' as const, queryId: 0n, proxyId: 1n },
                { $$type: 'SetChildCode' as const, queryId: 0n, kind: 2n, code: Cell.EMPTY },
                {
                    $$type: 'ScheduleUpgrade' as const,
                    queryId: 0n,
                    code: Cell.EMPTY,
                    data: null,
                    notBefore: 4_000_000_000n,
                },
                { $$type: 'CancelUpgrade' as const, queryId: 0n },
                { $$type: 'ExecuteUpgrade' as const, queryId: 0n },
                { $$type: 'WithdrawSurplus' as const, queryId: 0n, to: stranger.address },
                { $$type: 'Unpause' as const, queryId: 0n },
                { $$type: 'ScheduleParams' as const, queryId: 0n, params },
                { $$type: 'ScheduleChildCode' as const, queryId: 0n, kind: 2n, code: Cell.EMPTY },
                { $$type: 'ExecuteChange' as const, queryId: 0n },
                { $$type: 'CancelChange' as const, queryId: 0n },
                { $$type: 'SlashWorker' as const, queryId: 0n, stake: stranger.address, reason: 1n, fractionBps: 1n },
            ];
        };

        it('a stranger gets ERR_NOT_OWNER and nothing changes', async () => {
            const { registry, stranger } = snap.net;
            const dataHash = async () => {
                const state = (await snap.net.blockchain.getContract(registry.address)).accountState;
                return state?.type === 'active' ? state.state.data!.hash().toString('hex') : '';
            };
            const before = await dataHash();
            for (const msg of messages()) {
                const res = await registry.send(stranger.getSender(), { value: toNano('0.2') }, msg);
                expect(res.transactions).toHaveTransaction({
                    to: registry.address,
                    success: false,
                    exitCode: code(ERR_NOT_OWNER),
                });
                // The value bounces back to the stranger.
                expect(res.transactions).toHaveTransaction({ from: registry.address, to: stranger.address });
            }
            expect(await dataHash()).toBe(before);
        });

        it('the owner with too little value gets ERR_VALUE_TOO_LOW', async () => {
            const { registry, owner } = snap.net;
            for (const msg of messages()) {
                const res = await registry.send(owner.getSender(), { value: toNano('0.005') }, msg);
                expect(res.transactions).toHaveTransaction({
                    to: registry.address,
                    success: false,
                    exitCode: code(ERR_VALUE_TOO_LOW),
                });
            }
            for (const msg of [{ $$type: 'Pause' as const, queryId: 0n }]) {
                const res = await registry.send(snap.net.halter.getSender(), { value: toNano('0.005') }, msg);
                expect(res.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_VALUE_TOO_LOW) });
            }
        });
    });

    it('worker images: add, duplicate, remove, not listed, events and getters', async () => {
        const { registry, owner, stranger } = snap.net;
        const h = hashOf('image-2');
        const add = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'AllowWorkerImage',
            queryId: 0n,
            imageHash: h,
        });
        const ev = loadListChangedEvent(eventsOf(add, 0x5247e006)[0]);
        expect(ev).toMatchObject({ list: 1n, key: h, added: true, count: 2n });
        expect(await registry.getIsWorkerImageAllowed(h)).toBe(true);
        expect((await registry.getWorkerImages()).keys()).toContain(h);
        const dup = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'AllowWorkerImage',
            queryId: 0n,
            imageHash: h,
        });
        expect(dup.transactions).toHaveTransaction({ exitCode: code(ERR_ALREADY_LISTED) });
        const byStranger = await registry.send(stranger.getSender(), ADMIN, {
            $$type: 'RemoveWorkerImage',
            queryId: 0n,
            imageHash: h,
        });
        expect(byStranger.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_OWNER) });
        const rm = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'RemoveWorkerImage',
            queryId: 0n,
            imageHash: h,
        });
        expect(loadListChangedEvent(eventsOf(rm, 0x5247e006)[0])).toMatchObject({ added: false, count: 1n });
        expect(await registry.getIsWorkerImageAllowed(h)).toBe(false);
        const again = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'RemoveWorkerImage',
            queryId: 0n,
            imageHash: h,
        });
        expect(again.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_LISTED) });
    });

    it('proxy images: add, remove, getters', async () => {
        const { registry, owner, proxyImageHash } = snap.net;
        expect(await registry.getIsProxyImageAllowed(proxyImageHash)).toBe(true);
        const h = hashOf('proxy-image-2');
        await registry.send(owner.getSender(), ADMIN, { $$type: 'AllowProxyImage', queryId: 0n, imageHash: h });
        expect((await registry.getProxyImages()).keys().sort()).toEqual([proxyImageHash, h].sort());
        const dup = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'AllowProxyImage',
            queryId: 0n,
            imageHash: h,
        });
        expect(dup.transactions).toHaveTransaction({ exitCode: code(ERR_ALREADY_LISTED) });
        await registry.send(owner.getSender(), ADMIN, { $$type: 'RemoveProxyImage', queryId: 0n, imageHash: h });
        expect(await registry.getIsProxyImageAllowed(h)).toBe(false);
        expect((await registry.getListCounts()).proxyImages).toBe(1n);
    });

    it('models: add with name and kind, reject long names, remove', async () => {
        const { registry, owner, modelHash } = snap.net;
        expect(await registry.getModel(modelHash)).toMatchObject({ name: 'silero-vad', kind: 1n });
        const h = hashOf('model-2');
        await registry.send(owner.getSender(), ADMIN, {
            $$type: 'AllowModel',
            queryId: 0n,
            modelHash: h,
            kind: 2n,
            name: 'mlp',
        });
        expect((await registry.getModels()).get(h)).toMatchObject({ name: 'mlp', kind: 2n });
        const long = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'AllowModel',
            queryId: 0n,
            modelHash: hashOf('x'),
            kind: 1n,
            name: 'x'.repeat(121),
        });
        expect(long.transactions).toHaveTransaction({ exitCode: code(ERR_NAME_TOO_LONG) });
        await registry.send(owner.getSender(), ADMIN, { $$type: 'RemoveModel', queryId: 0n, modelHash: h });
        expect(await registry.getModel(h)).toBeNull();
        const rm = await registry.send(owner.getSender(), ADMIN, { $$type: 'RemoveModel', queryId: 0n, modelHash: h });
        expect(rm.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_LISTED) });
    });

    it(`every list is capped at ${LIST_CAP} entries with a named error`, async () => {
        const { registry, owner } = snap.net;
        for (let i = 1; i < Number(LIST_CAP); i++) {
            await registry.send(owner.getSender(), ADMIN, {
                $$type: 'AllowWorkerImage',
                queryId: 0n,
                imageHash: BigInt(i),
            });
        }
        expect((await registry.getListCounts()).workerImages).toBe(LIST_CAP);
        const over = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'AllowWorkerImage',
            queryId: 0n,
            imageHash: 999n,
        });
        expect(over.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_LIST_FULL) });
        for (let i = 0; i < Number(LIST_CAP); i++) {
            await registry.send(owner.getSender(), ADMIN, {
                $$type: 'RegisterProxy',
                queryId: 0n,
                proxyId: BigInt(i),
                publicKey: 1n,
                proxyAddress: owner.address,
                endpoint: 'https://p',
            });
        }
        const overProxy = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'RegisterProxy',
            queryId: 0n,
            proxyId: 1000n,
            publicKey: 1n,
            proxyAddress: owner.address,
            endpoint: 'https://p',
        });
        expect(overProxy.transactions).toHaveTransaction({ exitCode: code(ERR_LIST_FULL) });
        // Replacing an existing id is still possible at the cap.
        const replace = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'RegisterProxy',
            queryId: 0n,
            proxyId: 3n,
            publicKey: 2n,
            proxyAddress: owner.address,
            endpoint: 'https://q',
        });
        expect(replace.transactions).toHaveTransaction({ to: registry.address, success: true });
        expect((await registry.getProxy(3n))?.endpoint).toBe('https://q');
    });

    it('registered proxies: id -> endpoint, key, address; remove', async () => {
        const { registry, owner, stranger } = snap.net;
        const byStranger = await registry.send(stranger.getSender(), ADMIN, {
            $$type: 'RegisterProxy',
            queryId: 0n,
            proxyId: 7n,
            publicKey: 42n,
            proxyAddress: stranger.address,
            endpoint: 'https://proxy.example:8443',
        });
        expect(byStranger.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_OWNER) });
        await registry.send(owner.getSender(), ADMIN, {
            $$type: 'RegisterProxy',
            queryId: 0n,
            proxyId: 7n,
            publicKey: 42n,
            proxyAddress: stranger.address,
            endpoint: 'https://proxy.example:8443',
        });
        const p = await registry.getProxy(7n);
        expect(p?.endpoint).toBe('https://proxy.example:8443');
        expect(p?.publicKey).toBe(42n);
        expect(p?.proxyAddress.equals(stranger.address)).toBe(true);
        expect((await registry.getProxies()).size).toBe(1);
        await registry.send(owner.getSender(), ADMIN, { $$type: 'RemoveProxy', queryId: 0n, proxyId: 7n });
        expect(await registry.getProxy(7n)).toBeNull();
        const rm = await registry.send(owner.getSender(), ADMIN, { $$type: 'RemoveProxy', queryId: 0n, proxyId: 7n });
        expect(rm.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_LISTED) });
    });

    it('child codes: set by the owner per kind, returned by getters, unknown kind rejected', async () => {
        const { registry, owner, stranger } = snap.net;
        expect(await registry.getProxyCode()).toBeNull();
        const codes = [2n, 3n, 4n].map((k) => beginCell().storeUint(Number(k), 8).endCell());
        for (const [i, kind] of [2n, 3n, 4n].entries()) {
            const res = await registry.send(owner.getSender(), ADMIN, {
                $$type: 'SetChildCode',
                queryId: 0n,
                kind,
                code: codes[i],
            });
            expect(res.transactions).toHaveTransaction({ to: registry.address, success: true });
        }
        expect((await registry.getProxyCode())?.equals(codes[0])).toBe(true);
        expect((await registry.getClientAccountCode())?.equals(codes[1])).toBe(true);
        expect((await registry.getWorkerAccountCode())?.equals(codes[2])).toBe(true);
        const unknown = await registry.send(owner.getSender(), ADMIN, {
            $$type: 'SetChildCode',
            queryId: 0n,
            kind: 9n,
            code: Cell.EMPTY,
        });
        expect(unknown.transactions).toHaveTransaction({ exitCode: code(ERR_UNKNOWN_CHILD_KIND) });
        const byStranger = await registry.send(stranger.getSender(), ADMIN, {
            $$type: 'SetChildCode',
            queryId: 0n,
            kind: 2n,
            code: Cell.EMPTY,
        });
        expect(byStranger.transactions).toHaveTransaction({ exitCode: code(ERR_NOT_OWNER) });
    });

    it('keeps its storage reserve from the deploy less its event fees; TopUpReserve tops it up, nothing else', async () => {
        const { registry, stranger, blockchain } = snap.net;
        const held = await balanceOf(blockchain, registry.address);
        // The fixture's four governance messages each emitted a one-cell event whose forwarding fee (the lump
        // price) the registry paid from its balance.
        expect(held).toBeLessThan(REGISTRY_STORAGE_RESERVE);
        expect(held).toBeGreaterThan(REGISTRY_STORAGE_RESERVE - toNano('0.003'));
        const res = await registry.send(
            stranger.getSender(),
            { value: toNano('3') },
            { $$type: 'TopUpReserve', queryId: 0n },
        );
        expect(res.transactions).toHaveTransaction({ from: registry.address, to: stranger.address });
        expect(await balanceOf(blockchain, registry.address)).toBe(REGISTRY_STORAGE_RESERVE);
        const again = await registry.send(
            stranger.getSender(),
            { value: toNano('1') },
            { $$type: 'TopUpReserve', queryId: 0n },
        );
        expect(again.transactions).toHaveTransaction({ from: registry.address, to: stranger.address });
        expect(await balanceOf(blockchain, registry.address)).toBe(REGISTRY_STORAGE_RESERVE);
    });

    it('refuses an empty message (the registry takes TON only through TopUpReserve and its other messages)', async () => {
        const { registry, stranger } = snap.net;
        const res = await stranger.send({ to: registry.address, value: toNano('1'), bounce: true });
        expect(res.transactions).toHaveTransaction({ to: registry.address, success: false, exitCode: 130 });
        expect(res.transactions).toHaveTransaction({
            from: registry.address,
            to: stranger.address,
            inMessageBounced: true,
        });
    });

    it('WithdrawSurplus is owner-only', async () => {
        const { registry, stranger } = snap.net;
        const byStranger = await registry.send(stranger.getSender(), ADMIN, {
            $$type: 'WithdrawSurplus',
            queryId: 0n,
            to: stranger.address,
        });
        expect(byStranger.transactions).toHaveTransaction({ to: registry.address, exitCode: code(ERR_NOT_OWNER) });
    });

    it('list getters return dictionaries', async () => {
        const images = await snap.net.registry.getWorkerImages();
        expect(images).toBeInstanceOf(Dictionary);
    });
});
