/** The scripts for setHalter, topUpReserve, slashByProof, and what deployProxy and setChildCode print and read. */
import '@ton/test-utils';
import { Address, Cell, toNano } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { SandboxContract, TreasuryContract } from '@ton/sandbox';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGISTRY_STORAGE_RESERVE } from '../../wrappers/Registry';
import { proxyFromArgs } from '../../wrappers/Proxy';
import { Receipt, signReceipt } from '../../worker-runtime/src/protocol/receipt';
import { receiptFromFile, receiptToFile } from '../../worker-runtime/src/protocol/receiptFile';
import { deployNetwork, NetworkSnapshot, RegisteredWorker, registerWorker } from '../fixtures/network';
import { SandboxNetworkProvider, ScriptedUI } from './sandboxProvider';
import * as setHalter from '../../scripts/setHalter';
import * as pause from '../../scripts/pause';
import * as topUpReserve from '../../scripts/topUpReserve';
import * as slashByProof from '../../scripts/slashByProof';
import * as deployProxy from '../../scripts/deployProxy';
import * as setChildCode from '../../scripts/setChildCode';

const SEED = '22'.repeat(32);

describe('setHalter, topUpReserve, slashByProof, deployProxy and setChildCode scripts', () => {
    let snap: NetworkSnapshot;
    let w: RegisteredWorker;
    beforeAll(async () => {
        const net = await deployNetwork();
        w = await registerWorker(net, 'proof-script', { bond: toNano('10') });
        snap = new NetworkSnapshot(net);
        snap.save();
    });
    beforeEach(async () => snap.restore());

    const as = (wallet: SandboxContract<TreasuryContract>, answers: string[] = []) =>
        new SandboxNetworkProvider(snap.net.blockchain, wallet, new ScriptedUI(answers));
    const reg = () => ['--registry', snap.net.registry.address.toString()];

    it('setHalter gives a wallet the pause right, and none removes it; owner only', async () => {
        const { owner, stranger, registry } = snap.net;
        await setHalter.run(as(owner), [...reg(), '--halter', stranger.address.toString()]);
        expect((await registry.getGovernance()).halter?.equals(stranger.address)).toBe(true);
        await pause.run(as(stranger), reg());
        expect((await registry.getGovernance()).paused).toBe(true);
        await setHalter.run(as(owner), [...reg(), '--halter', 'none']);
        expect((await registry.getGovernance()).halter).toBeNull();
        await expect(setHalter.run(as(stranger), [...reg(), '--halter', 'none'])).rejects.toThrow(/ERR_NOT_OWNER/);
        await expect(setHalter.run(as(owner), [...reg(), '--halter', 'nobody'])).rejects.toThrow(
            /--halter: not a TON address: nobody/,
        );
    });

    it('topUpReserve brings the registry back to its storage reserve (anyone may)', async () => {
        const { stranger, registry, blockchain } = snap.net;
        const balance = async () => (await blockchain.getContract(registry.address)).balance;
        // Governance events are paid from the registry's balance: drain it below the reserve.
        const state = await blockchain.getContract(registry.address);
        state.balance = REGISTRY_STORAGE_RESERVE - toNano('0.02');
        const provider = as(stranger);
        await topUpReserve.run(provider, reg());
        expect(await balance()).toBeGreaterThanOrEqual(REGISTRY_STORAGE_RESERVE - toNano('0.001'));
        expect(provider.ui().written.join('\n')).toMatch(/registry balance 0\.48 -> 0\.\d+ TON \(reserve 0\.5\)/);
    });

    describe('slashByProof', () => {
        const dir = mkdtempSync(join(tmpdir(), 'chrysalis-receipts-'));
        const file = (name: string, r: Receipt, secret = w.keyPair.secretKey) => {
            const path = join(dir, name);
            writeFileSync(path, JSON.stringify(receiptToFile(signReceipt(r, secret))));
            return path;
        };
        const receipt = (outputHash: bigint, requestId = 77n, over: Partial<Receipt> = {}): Receipt => ({
            requestId,
            modelHash: 1n,
            inputHash: 2n,
            outputHash,
            registry: snap.net.registry.address,
            ...over,
        });
        const stakeArgs = () => ['--stake', w.stake.address.toString()];

        it('slashes with two conflicting receipt files; the reporter gets the bounty; a second time is refused', async () => {
            const { stranger, params } = snap.net;
            const before = (await w.stake.getState()).stake;
            const reporterBefore = await stranger.getBalance();
            const args = [
                ...stakeArgs(),
                '--receipt-a',
                file('a.json', receipt(5n)),
                '--receipt-b',
                file('b.json', receipt(6n)),
            ];
            await slashByProof.run(as(stranger), args);
            const slashed = (before * params.slashFractionBps) / 10000n;
            expect((await w.stake.getState()).stake).toBe(before - slashed);
            const bounty = (slashed * params.reporterBountyBps) / 10000n;
            expect(await stranger.getBalance()).toBeGreaterThan(reporterBefore + bounty - toNano('0.05'));
            await expect(slashByProof.run(as(stranger), args)).rejects.toThrow(/already slashed for request 4d/);
        });

        it('checks the files before sending: format, conflict and signer', async () => {
            const { stranger, registry } = snap.net;
            const a = file('a.json', receipt(5n));
            const run = (b: string) =>
                slashByProof.run(as(stranger), [...stakeArgs(), '--receipt-a', a, '--receipt-b', b]);
            await expect(run(file('same.json', receipt(5n)))).rejects.toThrow(/same output: no conflict/);
            await expect(run(file('other.json', receipt(6n, 78n)))).rejects.toThrow(/different requests/);
            await expect(run(file('model.json', receipt(6n, 77n, { modelHash: 9n })))).rejects.toThrow(
                /different models/,
            );
            await expect(run(file('input.json', receipt(6n, 77n, { inputHash: 9n })))).rejects.toThrow(
                /different inputs/,
            );
            const elsewhere = { registry: Address.parse('EQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM9c') };
            await expect(run(file('net.json', receipt(6n, 77n, elsewhere)))).rejects.toThrow(
                /--receipt-b: bound to another registry/,
            );
            const other = keyPairFromSeed(Buffer.alloc(32, 3)).secretKey;
            await expect(run(file('forged.json', receipt(6n), other))).rejects.toThrow(
                /--receipt-b: not signed by the worker key/,
            );
            const bad = join(dir, 'bad.json');
            writeFileSync(
                bad,
                JSON.stringify({ receipt: Cell.EMPTY.toBoc().toString('base64'), signature: 'ab'.repeat(64) }),
            );
            await expect(run(bad)).rejects.toThrow(/--receipt-b: .*bad\.json: "receipt" is not a receipt cell/);
            writeFileSync(bad, '{"receipt": 1}');
            await expect(run(bad)).rejects.toThrow(/"receipt" must be the receipt cell as a base64 BoC/);
            await expect(run(join(dir, 'missing.json'))).rejects.toThrow(/--receipt-b: cannot read/);
            // --registry with --key names the same stake.
            const key = [
                '--registry',
                registry.address.toString(),
                '--key',
                w.workerKey.toString(16).padStart(64, '0'),
            ];
            await slashByProof.run(as(stranger), [
                ...key,
                '--receipt-a',
                a,
                '--receipt-b',
                file('c.json', receipt(9n)),
            ]);
            expect((await w.stake.getState()).stake).toBeLessThan(toNano('10'));
        });

        it('the receipt file round-trips the signed cell', () => {
            const signed = signReceipt(receipt(5n), w.keyPair.secretKey);
            const read = receiptFromFile(JSON.stringify(receiptToFile(signed)));
            expect(read.cell.equals(signed.cell)).toBe(true);
            expect(read.signature.equals(signed.signature)).toBe(true);
            const { registry, ...rest } = read.receipt;
            const { registry: expectedRegistry, ...expected } = receipt(5n);
            expect(rest).toEqual(expected);
            expect(registry.equals(expectedRegistry)).toBe(true);
        });
    });

    it("deployProxy prints the proxy's address and public key", async () => {
        const { registry, blockchain } = snap.net;
        const owner = await blockchain.treasury('print-key-owner');
        const provider = as(owner);
        const address = await deployProxy.run(provider, [...reg(), '--id', '9', '--seed', SEED]);
        const publicKey = keyPairFromSeed(Buffer.from(SEED, 'hex')).publicKey.toString('hex');
        expect(provider.ui().written).toContain(`public key ${publicKey}`);
        expect(provider.ui().written.join('\n')).toContain(`Proxy ${address.toString()}`);
        expect(registry.address).toBeDefined();
    });

    it("setChildCode reads the kind's .boc file from build/ by default", async () => {
        const { owner, registry, params } = snap.net;
        const provider = as(owner);
        await setChildCode.run(provider, [...reg(), '--kind', 'proxy']);
        const probe = await proxyFromArgs({
            owner: owner.address,
            publicKey: Buffer.alloc(32, 1),
            registry: registry.address,
            proxyId: 0n,
            paramsVersion: 0n,
            params,
        });
        expect((await registry.getProxyCode())?.hash().equals(probe.init!.code.hash())).toBe(true);
        expect(provider.ui().written.join('\n')).toContain('build/Proxy/Proxy_Proxy.code.boc');
    });
});
