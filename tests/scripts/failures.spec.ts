/**
 * Blueprint scripts never fail silently: wrong arguments are errors that list the valid ones, a missing argument
 * without a terminal is an error naming it, and every script waits for its transactions and reports the refusing
 * contract's exit code by name.
 */
import '@ton/test-utils';
import { Address, Cell, toNano } from '@ton/core';
import { SandboxContract, TreasuryContract } from '@ton/sandbox';
import { ERR_NOT_OWNER, loadAllowModel, Registry, UPGRADE_TIMELOCK } from '../../wrappers/Registry';
import { MODEL_KINDS } from '../../worker-runtime/src/inference/metering';
import { deployNetwork, hashOf, NetworkSnapshot } from '../fixtures/network';
import { SandboxNetworkProvider, ScriptedUI } from './sandboxProvider';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as allowModel from '../../scripts/allowModel';
import * as deployRegistry from '../../scripts/deployRegistry';
import * as registerWorker from '../../scripts/registerWorker';
import * as scheduleUpgrade from '../../scripts/scheduleUpgrade';
import * as topUp from '../../scripts/topUp';
import * as pause from '../../scripts/pause';
import { readUpgradeTimelock } from '../../scripts/lib/timelock';

describe('blueprint scripts never fail silently', () => {
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

    it('refuses unknown and mistyped arguments, naming the one meant and listing the valid ones', async () => {
        const { stranger, treasury, operator } = snap.net;
        const deploying = deployRegistry.run(as(stranger), [
            '--treasury',
            treasury.address.toString(),
            '--ownr',
            operator.address.toString(),
            '--minWorkerStak',
            '5',
        ]);
        await expect(deploying).rejects.toThrow(/unknown argument --ownr \(did you mean --owner\?\)/);
        await expect(deploying).rejects.toThrow(/valid arguments:[\s\S]*--treasury <[\s\S]*\[--minWorkerStake/);
        const registering = registerWorker.run(as(operator), [...reg(), '--bnd', '100']);
        await expect(registering).rejects.toThrow(/unknown argument --bnd \(did you mean --bond\?\)/);
        await expect(topUp.run(as(stranger), ['--account'])).rejects.toThrow(/argument --account needs a value/);
        await expect(pause.run(as(stranger), [...reg(), '--print-message=yes'])).rejects.toThrow(
            /--print-message takes no value/,
        );
    });

    it('without a terminal, a missing argument is an error naming it (nothing is asked, nothing sent)', async () => {
        const { owner, registry } = snap.net;
        const provider = as(owner);
        const before = await registry.getModels();
        await expect(allowModel.run(provider, reg())).rejects.toThrow(
            /missing --model \(Model hash \(SHA-256 of the ONNX file, hex\)\)/,
        );
        expect(provider.ui().asked).toEqual([]);
        expect((await registry.getModels()).size).toBe(before.size);
    });

    it("reports a contract's refusal by the exit code's name: allowModel from a non-owner", async () => {
        const { stranger, registry } = snap.net;
        const model = hashOf('not-allowed');
        const provider = as(stranger);
        await expect(
            allowModel.run(provider, [...reg(), '--model', hex(model), '--name', 'x', '--kind', 'classifier']),
        ).rejects.toThrow(
            `AllowModel failed: Registry ${registry.address.toString()} refused it: exit code ${ERR_NOT_OWNER} (ERR_NOT_OWNER)`,
        );
        expect(await registry.getModel(model)).toBeNull();
        expect(provider.ui().written.join('\n')).not.toMatch(/done/);
    });

    it('reports a message that bounced off an address without a contract', async () => {
        const nowhere = new Address(0, Buffer.alloc(32, 5)).toString();
        await expect(topUp.run(as(snap.net.stranger), ['--account', nowhere, '--amount', '1'])).rejects.toThrow(
            /TopUp failed: account .* refused it: the message bounced: no contract code there/,
        );
    });

    it('says that it is done only after the transactions went through', async () => {
        const { halter, registry } = snap.net;
        const provider = as(halter);
        await pause.run(provider, reg());
        expect((await registry.getGovernance()).paused).toBe(true);
        expect(provider.ui().written).toEqual([expect.stringMatching(/^Pause: done \(\d+ transactions\)$/)]);
    });

    it('accepts model kinds by name, each as 1 + its index in MODEL_KINDS, and refuses codes', async () => {
        const { owner, registry } = snap.net;
        for (const [i, kind] of MODEL_KINDS.entries()) {
            const model = hashOf(`kind-${kind}`);
            await allowModel.run(as(owner), [...reg(), '--model', hex(model), '--name', kind, '--kind', kind]);
            expect((await registry.getModel(model))?.kind).toBe(BigInt(i + 1));
        }
        await expect(
            allowModel.run(as(owner), [...reg(), '--model', hex(hashOf('m')), '--name', 'tiny-mlp', '--kind', '2']),
        ).rejects.toThrow(/--kind: unknown model kind '2' \(known: classifier \(1\), text-embedding \(2\)/);
    });

    it('deployRegistry on mainnet: mainnet params by default, test-network params only when asked for', async () => {
        const { stranger, treasury, blockchain } = snap.net;
        const mainnet = () => new SandboxNetworkProvider(blockchain, stranger, new ScriptedUI(), 'mainnet' as const);
        const base = ['--treasury', treasury.address.toString()];
        await expect(deployRegistry.run(mainnet(), [...base, '--isTestNetwork', 'true'])).rejects.toThrow(
            /refusing to deploy test-network params on mainnet .*--allow-test-params/s,
        );
        await expect(deployRegistry.run(mainnet(), [...base, '--networkId', '-3'])).rejects.toThrow(
            /refusing to deploy test-network params on mainnet \(isTestNetwork false, networkId -3\)/,
        );
        const prod = blockchain.openContract(
            Registry.fromAddress((await deployRegistry.run(mainnet(), base)) as Address),
        );
        expect(await prod.getParams()).toMatchObject({ isTestNetwork: false, networkId: -239n });
        const test = blockchain.openContract(
            Registry.fromAddress(
                (await deployRegistry.run(mainnet(), [
                    ...base,
                    '--isTestNetwork',
                    'true',
                    '--networkId=-3',
                    '--allow-test-params',
                ])) as Address,
            ),
        );
        expect(await test.getParams()).toMatchObject({ isTestNetwork: true, networkId: -3n });
    });

    it("scheduleUpgrade reads the registry's timelock from its getter: the default, and a time too early refused", async () => {
        const { owner, registry, blockchain } = snap.net;
        const dir = mkdtempSync(join(tmpdir(), 'chrysalis-upgrade-'));
        const codePath = join(dir, 'code.boc');
        writeFileSync(codePath, Cell.EMPTY.toBoc());
        // The fixture's chain runs ahead of the wall clock: the default counts from the registry's last transaction.
        const now = blockchain.now!;
        await expect(
            scheduleUpgrade.run(as(owner), [...reg(), '--code', codePath, '--not-before', String(now + 60)]),
        ).rejects.toThrow(
            `--not-before ${now + 60} is earlier than now + the registry's timelock (${UPGRADE_TIMELOCK} s): the registry would refuse it (ERR_TIMELOCK_TOO_SHORT)`,
        );
        // Read from the deployed registry's getter; for this build it is the Tact constant.
        expect(await readUpgradeTimelock(as(owner), registry.address)).toBe(UPGRADE_TIMELOCK);
        const nowhere = new Address(0, Buffer.alloc(32, 6));
        await expect(readUpgradeTimelock(as(owner), nowhere)).rejects.toThrow(/no contract at/);
        // A contract that is not a registry (the owner's wallet) has no such getter: a named error, not a number.
        await expect(readUpgradeTimelock(as(owner), owner.address)).rejects.toThrow(/has no upgradeTimelock getter/);
        await scheduleUpgrade.run(as(owner), [...reg(), '--code', codePath]);
        const notBefore = (await registry.getGovernance()).pendingUpgrade!.notBefore;
        expect(notBefore).toBeGreaterThanOrEqual(BigInt(now) + UPGRADE_TIMELOCK);
        expect(notBefore).toBeLessThanOrEqual(
            BigInt(now) + UPGRADE_TIMELOCK + scheduleUpgrade.CONFIRMATION_MARGIN + 5n,
        );
    });

    it('--print-message prints what a multisig signs instead of sending, and that message works', async () => {
        const { owner, registry } = snap.net;
        const model = hashOf('multisig-model');
        const provider = as(owner);
        await allowModel.run(provider, [
            ...reg(),
            '--model',
            hex(model),
            '--name',
            'vad',
            '--kind',
            'audio-vad',
            '--print-message',
        ]);
        expect(await registry.getModel(model)).toBeNull();
        const lines = Object.fromEntries(
            provider.ui().written.map((l) => /^(\w+)\s+(.*)$/.exec(l)!.slice(1, 3) as [string, string]),
        );
        expect(Address.parse(lines.destination).equals(registry.address)).toBe(true);
        expect(lines.value).toBe(`0.05 TON (${toNano('0.05')} nanoTON)`);
        const body = Cell.fromBase64(lines.body);
        expect(loadAllowModel(body.beginParse())).toMatchObject({ modelHash: model, name: 'vad', kind: 3n });
        const link = new URL(lines.link);
        expect(link.protocol).toBe('ton:');
        expect(link.host + link.pathname).toBe(`transfer/${lines.destination}`);
        expect(link.searchParams.get('amount')).toBe(String(toNano('0.05')));
        expect(Buffer.from(link.searchParams.get('bin')!, 'base64url').equals(body.toBoc())).toBe(true);
        // What the multisig sends once signed:
        await owner.send({ to: registry.address, value: toNano('0.05'), body });
        expect(await registry.getModel(model)).toMatchObject({ name: 'vad', kind: 3n });
    });
});
