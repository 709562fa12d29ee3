import '@ton/test-utils';
import { Address, toNano } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxContract, TreasuryContract } from '@ton/sandbox';
import { Registry, UPGRADE_TIMELOCK } from '../../wrappers/Registry';
import { RegistryV2 } from '../../wrappers/RegistryV2';
import { WorkerStake } from '../../wrappers/WorkerStake';
import {
    deployNetwork,
    hashOf,
    keyToUint,
    NetworkSnapshot,
    registerWorker,
    registrationConsent,
    workerKeyPair,
} from '../fixtures/network';
import { SandboxNetworkProvider, ScriptedUI } from './sandboxProvider';
import * as deployRegistry from '../../scripts/deployRegistry';
import * as setParams from '../../scripts/setParams';
import * as proposeOwner from '../../scripts/proposeOwner';
import * as acceptOwner from '../../scripts/acceptOwner';
import * as allowWorkerImage from '../../scripts/allowWorkerImage';
import * as removeWorkerImage from '../../scripts/removeWorkerImage';
import * as allowProxyImage from '../../scripts/allowProxyImage';
import * as removeProxyImage from '../../scripts/removeProxyImage';
import * as allowModel from '../../scripts/allowModel';
import * as removeModel from '../../scripts/removeModel';
import * as registerProxy from '../../scripts/registerProxy';
import * as removeProxy from '../../scripts/removeProxy';
import * as setChildCode from '../../scripts/setChildCode';
import * as scheduleUpgrade from '../../scripts/scheduleUpgrade';
import * as cancelUpgrade from '../../scripts/cancelUpgrade';
import * as scheduleParams from '../../scripts/scheduleParams';
import * as scheduleChildCode from '../../scripts/scheduleChildCode';
import * as executeChange from '../../scripts/executeChange';
import * as cancelChange from '../../scripts/cancelChange';
import * as executeUpgrade from '../../scripts/executeUpgrade';
import * as pause from '../../scripts/pause';
import * as unpause from '../../scripts/unpause';
import * as registerWorkerScript from '../../scripts/registerWorker';
import * as topUpStake from '../../scripts/topUpStake';
import * as startUnbonding from '../../scripts/startUnbonding';
import * as withdrawStake from '../../scripts/withdrawStake';
import * as slashWorker from '../../scripts/slashWorker';
import * as withdrawSurplus from '../../scripts/withdrawSurplus';
import * as showRegistry from '../../scripts/showRegistry';
import * as showStake from '../../scripts/showStake';

describe('blueprint scripts against a sandbox-backed NetworkProvider', () => {
    let snap: NetworkSnapshot;
    beforeAll(async () => {
        snap = new NetworkSnapshot(await deployNetwork());
        snap.save();
    });
    beforeEach(async () => snap.restore());

    const as = (wallet: SandboxContract<TreasuryContract>, answers: string[] = []) =>
        new SandboxNetworkProvider(snap.net.blockchain, wallet, new ScriptedUI(answers));
    const reg = () => ['--registry', snap.net.registry.address.toString()];
    const hex = (v: bigint) => v.toString(16).padStart(64, '0');

    it('deployRegistry deploys a registry owned by the sender with the given treasury and overrides', async () => {
        const provider = as(snap.net.stranger);
        const address = (await deployRegistry.run(provider, [
            '--treasury',
            snap.net.treasury.address.toString(),
            '--minWorkerStake',
            '7000000000',
        ])) as Address;
        const registry = snap.net.blockchain.openContract(Registry.fromAddress(address));
        expect((await registry.getGovernance()).owner.equals(snap.net.stranger.address)).toBe(true);
        expect((await registry.getParams()).minWorkerStake).toBe(7_000_000_000n);
        expect(provider.ui().written.join('\n')).toContain('Registry deployed at');
    });

    it('setParams changes the fields given on the command line, or prompted', async () => {
        const { owner, registry } = snap.net;
        await setParams.run(as(owner), [...reg(), '--pricePerToken', '4000', '--workerFeePerToken', '3000']);
        expect(await registry.getParams()).toMatchObject({ pricePerToken: 4000n, workerFeePerToken: 3000n });
        await setParams.run(as(owner, ['clientCloseDelay=600']), reg());
        expect((await registry.getParams()).clientCloseDelay).toBe(600n);
        expect(await registry.getParamsVersion()).toBe(3n);
        await expect(setParams.run(as(owner, ['nonsense=1']), reg())).rejects.toThrow(
            /nonsense is not a NetworkParams field/,
        );
    });

    it('proposeOwner then acceptOwner (prompted arguments)', async () => {
        const { owner, operator, registry } = snap.net;
        const provider = as(owner, [registry.address.toString(), operator.address.toString()]);
        await proposeOwner.run(provider, []);
        expect(provider.ui().asked).toEqual(['Registry address', 'Proposed new owner address']);
        await acceptOwner.run(as(operator), reg());
        expect((await registry.getGovernance()).owner.equals(operator.address)).toBe(true);
    });

    it('allow and remove worker images, proxy images and models', async () => {
        const { owner, registry } = snap.net;
        const image = hashOf('script-image');
        await allowWorkerImage.run(as(owner), [...reg(), '--image', hex(image)]);
        expect(await registry.getIsWorkerImageAllowed(image)).toBe(true);
        await removeWorkerImage.run(as(owner), [...reg(), '--image', '0x' + hex(image)]);
        expect(await registry.getIsWorkerImageAllowed(image)).toBe(false);
        await allowProxyImage.run(as(owner), [...reg(), '--image', hex(image)]);
        expect(await registry.getIsProxyImageAllowed(image)).toBe(true);
        await removeProxyImage.run(as(owner), [...reg(), '--image', hex(image)]);
        expect(await registry.getIsProxyImageAllowed(image)).toBe(false);
        const model = hashOf('script-model');
        await allowModel.run(as(owner), [
            ...reg(),
            '--model',
            hex(model),
            '--name',
            'tiny-mlp',
            '--kind',
            'classifier',
        ]);
        expect(await registry.getModel(model)).toMatchObject({ name: 'tiny-mlp', kind: 1n });
        await removeModel.run(as(owner), [...reg(), '--model', hex(model)]);
        expect(await registry.getModel(model)).toBeNull();
        await expect(
            allowModel.run(as(owner), [...reg(), '--model', 'xyz', '--name', 'a', '--kind', 'classifier']),
        ).rejects.toThrow(/model: not an integer/);
    });

    it('registerProxy and removeProxy', async () => {
        const { owner, registry, stranger } = snap.net;
        await registerProxy.run(as(owner), [
            ...reg(),
            '--id',
            '3',
            '--endpoint',
            'https://proxy-3.example',
            '--public-key',
            hex(77n),
            '--proxy',
            stranger.address.toString(),
        ]);
        expect((await registry.getProxy(3n))?.endpoint).toBe('https://proxy-3.example');
        await removeProxy.run(as(owner), [...reg(), '--id', '3']);
        expect(await registry.getProxy(3n)).toBeNull();
    });

    it('setChildCode, scheduleUpgrade, cancelUpgrade, executeUpgrade', async () => {
        const { owner, registry, blockchain, params } = snap.net;
        const dir = mkdtempSync(join(tmpdir(), 'chrysalis-scripts-'));
        const v2 = await RegistryV2.fromInit(
            owner.address,
            params,
            (await WorkerStake.fromInit(owner.address, 0n)).init!.code,
        );
        const codePath = join(dir, 'registry-v2.boc');
        writeFileSync(codePath, v2.init!.code.toBoc());
        await setChildCode.run(as(owner), [...reg(), '--kind', 'proxy', '--code', codePath]);
        expect((await registry.getProxyCode())?.hash().equals(v2.init!.code.hash())).toBe(true);
        await expect(setChildCode.run(as(owner), [...reg(), '--kind', 'nope', '--code', codePath])).rejects.toThrow(
            /unknown child kind/,
        );

        // Replacing a child code already set is timelocked.
        await expect(setChildCode.run(as(owner), [...reg(), '--kind', 'proxy', '--code', codePath])).rejects.toThrow(
            /ERR_CHILD_CODE_TIMELOCKED/,
        );
        await scheduleChildCode.run(as(owner), [...reg(), '--kind', 'workerAccount', '--code', codePath]);
        expect((await registry.getGovernance()).pendingChange?.kind).toBe(4n);
        await cancelChange.run(as(owner), reg());
        expect((await registry.getGovernance()).pendingChange).toBeNull();

        const notBefore = BigInt(blockchain.now!) + UPGRADE_TIMELOCK;
        await scheduleUpgrade.run(as(owner), [...reg(), '--code', codePath, '--not-before', String(notBefore)]);
        expect((await registry.getGovernance()).pendingUpgrade?.notBefore).toBe(notBefore);
        await cancelUpgrade.run(as(owner), reg());
        expect((await registry.getGovernance()).pendingUpgrade).toBeNull();
        await scheduleUpgrade.run(as(owner), [...reg(), '--code', codePath, '--not-before', String(notBefore)]);
        blockchain.now = Number(notBefore);
        await executeUpgrade.run(as(owner), reg());
        expect(await registry.getCodeRevision()).toBe(2n);
        // Upgraded: the timelock is read by running the new code (same trait, same timelock).
        const again = as(owner);
        await scheduleUpgrade.run(again, [...reg(), '--code', codePath, '--print-message']);
        const expected = BigInt(blockchain.now!) + UPGRADE_TIMELOCK + scheduleUpgrade.CONFIRMATION_MARGIN;
        expect(again.ui().written).toContain(
            `upgrade to code ${v2.init!.code.hash().toString('hex')} not before ${expected}`,
        );
    });

    it('pause (halter) and unpause (owner only)', async () => {
        const { halter, owner, registry } = snap.net;
        await pause.run(as(halter), reg());
        expect((await registry.getGovernance()).paused).toBe(true);
        await expect(unpause.run(as(halter), reg())).rejects.toThrow(/ERR_NOT_OWNER/);
        expect((await registry.getGovernance()).paused).toBe(true);
        await unpause.run(as(owner), reg());
        expect((await registry.getGovernance()).paused).toBe(false);
    });

    it('scheduleParams then executeChange after the timelock (stake terms)', async () => {
        const { owner, registry, blockchain, stranger } = snap.net;
        await scheduleParams.run(as(owner), [...reg(), '--treasury', stranger.address.toString()]);
        expect((await registry.getGovernance()).pendingChange?.kind).toBe(0n);
        blockchain.now! += Number(UPGRADE_TIMELOCK);
        await executeChange.run(as(owner), reg());
        expect((await registry.getStakeTerms()).treasury.equals(stranger.address)).toBe(true);
    });

    it('registerWorker, topUpStake, startUnbonding, withdrawStake, showStake', async () => {
        const { operator, registry, blockchain, params, modelHash, workerImageHash } = snap.net;
        const keyPair = workerKeyPair('script-worker');
        const key = keyToUint(keyPair.publicKey);
        const worker = [...reg(), '--key', hex(key)];
        // The key holder's consent for this owner, made where the key lives.
        const consent = registrationConsent(snap.net, keyPair, operator.address);
        await registerWorkerScript.run(as(operator), [
            ...worker,
            '--model',
            hex(modelHash),
            '--image',
            hex(workerImageHash),
            '--bond',
            '6',
            '--expiry',
            String(consent.expiry),
            '--signature',
            consent.signature.toString('hex'),
        ]);
        const stake = blockchain.openContract(WorkerStake.fromAddress(await registry.getWorkerStakeAddress(key)));
        expect(await stake.getState()).toMatchObject({ status: 1n, stake: toNano('6') });
        await topUpStake.run(as(operator), [...worker, '--amount', '1.5']);
        expect((await stake.getState()).stake).toBe(toNano('7.5'));
        await startUnbonding.run(as(operator), ['--stake', stake.address.toString()]);
        expect((await stake.getState()).status).toBe(2n);
        blockchain.now! += Number(params.workerUnbondingDelay);
        await withdrawStake.run(as(operator), worker);
        // A withdrawal deletes the stake.
        expect((await blockchain.getContract(stake.address)).accountState).toBeUndefined();
        const shown = as(operator);
        await showStake.run(shown, worker);
        expect(shown.ui().written.join('\n')).toContain('no contract (never registered, or withdrawn)');
        await expect(withdrawStake.run(as(operator), worker)).rejects.toThrow(/already withdrawn/);

        // Where the machine holds the key, --worker-seed signs the consent itself.
        const seed = Buffer.alloc(32, 0x5d);
        await registerWorkerScript.run(as(operator), [
            ...reg(),
            '--worker-seed',
            seed.toString('hex'),
            '--model',
            hex(modelHash),
            '--image',
            hex(workerImageHash),
            '--expiry',
            String(blockchain.now! + 600),
        ]);
        const seeded = keyToUint(keyPairFromSeed(seed).publicKey);
        const seededStake = blockchain.openContract(
            WorkerStake.fromAddress(await registry.getWorkerStakeAddress(seeded)),
        );
        expect(await seededStake.getState()).toMatchObject({ status: 1n, stake: params.minWorkerStake });
    });

    it('slashWorker (governance) through the registry', async () => {
        const { owner } = snap.net;
        const w = await registerWorker(snap.net, 'to-slash', { bond: toNano('10') });
        await slashWorker.run(as(owner), [...reg(), '--key', hex(w.workerKey), '--reason', '4', '--fraction', '1000']);
        expect(await w.stake.getState()).toMatchObject({ stake: toNano('9') });
    });

    it('withdrawSurplus and showRegistry', async () => {
        const { owner, registry } = snap.net;
        await withdrawSurplus.run(as(owner), [...reg(), '--to', owner.address.toString()]);
        const vad = hex(hashOf('vad-by-name'));
        await allowModel.run(as(owner), [...reg(), '--model', vad, '--name', 'vad-2', '--kind', 'audio-vad']);
        const provider = as(owner);
        await showRegistry.run(provider, reg());
        const text = provider.ui().written.join('\n');
        expect(text).toContain(`Registry ${registry.address.toString()}`);
        expect(text).toContain(`${vad}  vad-2 (kind audio-vad (3))`);
        expect(text).toContain('worker unbonding 259200');
        await expect(
            showRegistry.run(as(owner), ['--registry', new Address(0, Buffer.alloc(32, 9)).toString()]),
        ).rejects.toThrow(/no contract is deployed/);
    });
});
