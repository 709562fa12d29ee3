import { toNano } from '@ton/core';
import { sha256Hex } from '../../worker-runtime/src/inference/modelFile';
import { readFileSync } from 'node:fs';
import { SandboxChain } from '../../worker-runtime/src/chain/sandboxChain';
import { deployNetwork, DevnetNetwork } from '../../worker-runtime/src/devnet/deployNetwork';
import { modelKindCode, modelKindFromCode } from '../../worker-runtime/src/inference/kinds';
import { imageHashBigInt, SIMULATED_MEASUREMENTS } from '../../worker-runtime/src/tee';
import { KNOWN_MODEL_KINDS } from '../../worker-runtime/src/inference/catalog';
import { MODEL_KINDS } from '../../worker-runtime/src/inference/metering';

const STAKE_ACTIVE = 1n;
const PROXY_ACTIVE = 1n;
const CLIENT_ACTIVE = 1n;

describe('deployNetwork', () => {
    let net: DevnetNetwork;

    beforeAll(async () => {
        net = await deployNetwork(await SandboxChain.create(), { workers: 2, seed: 'spec' });
    }, 60_000);

    it('lists the four devnet models with the SHA-256 of their files and their metering kinds', async () => {
        expect(net.models.map((m) => m.name)).toEqual(['tiny-mlp', 'embedding', 'dtype-mix', 'silero-vad']);
        const listed = await net.registry.getModels();
        expect(listed.size).toBe(4);
        for (const model of net.models) {
            expect(model.hashHex).toBe(sha256Hex(readFileSync(model.path)));
            const info = await net.registry.getModel(model.hash);
            expect(info).toEqual({
                $$type: 'ModelInfo',
                name: model.name,
                kind: modelKindCode(KNOWN_MODEL_KINDS[model.name as keyof typeof KNOWN_MODEL_KINDS]),
            });
        }
    });

    it('runs a test network that allows the simulated TEE image for workers and proxies', async () => {
        const simulated = imageHashBigInt(SIMULATED_MEASUREMENTS);
        expect((await net.registry.getParams()).isTestNetwork).toBe(true);
        expect(await net.registry.getIsWorkerImageAllowed(simulated)).toBe(true);
        expect(await net.registry.getIsProxyImageAllowed(simulated)).toBe(true);
        expect(await net.registry.getIsWorkerImageAllowed(simulated + 1n)).toBe(false);
        expect((await net.registry.getParams()).treasury.equals(net.treasury.address)).toBe(true);
    });

    it('publishes the billing child codes the proxy runs with', async () => {
        const proxyCode = await net.registry.getProxyCode();
        expect(proxyCode?.equals(net.proxy.contract.init!.code)).toBe(true);
        expect(await net.registry.getClientAccountCode()).not.toBeNull();
        expect((await net.registry.getWorkerAccountCode())?.equals(net.workers[0].payoutAccountInit.code)).toBe(true);
    });

    it('activates the proxy with its stake and records it in the registry with its key', async () => {
        const data = await net.proxy.contract.getProxyData();
        expect(data.state).toBe(PROXY_ACTIVE);
        expect(data.publicKey).toBe(BigInt('0x' + net.proxy.keyPair.publicKey.toString('hex')));
        expect(data.balance).toBeGreaterThanOrEqual(net.params.minProxyStake);
        const listed = await net.registry.getProxy(net.proxy.proxyId);
        expect(listed?.proxyAddress.equals(net.proxy.contract.address)).toBe(true);
        expect(listed?.publicKey).toBe(data.publicKey);
        expect(listed?.endpoint).toBe(net.proxy.endpoint);
    });

    it('gives every worker an active stake per model, bonded, with distinct keys', async () => {
        expect(net.workers).toHaveLength(2);
        const keys = new Set<bigint>();
        for (const worker of net.workers) {
            expect(worker.keys.map((k) => k.model.name)).toEqual(net.models.map((m) => m.name));
            for (const key of worker.keys) {
                keys.add(key.workerKey);
                const state = await key.stake.getState();
                expect(state.status).toBe(STAKE_ACTIVE);
                expect(state.modelHash).toBe(key.model.hash);
                expect(state.imageHash).toBe(net.images.worker);
                expect(state.owner.equals(worker.owner.address)).toBe(true);
                expect(state.stake).toBeGreaterThanOrEqual(net.params.minWorkerStake);
            }
        }
        expect(keys.size).toBe(8);
    });

    it('gives the client a real wallet whose get_public_key is its signing key, and a funded account', async () => {
        expect(await net.client.wallet.getSeqno()).toBeGreaterThanOrEqual(1);
        const onChainKey = await net.chain.blockchain.runGetMethod(net.client.wallet.address, 'get_public_key');
        expect(onChainKey.stackReader.readBigNumber()).toBe(
            BigInt('0x' + net.client.keyPair.publicKey.toString('hex')),
        );
        const account = await net.client.account.getAccountData();
        expect(account.state).toBe(CLIENT_ACTIVE);
        expect(account.owner.equals(net.client.wallet.address)).toBe(true);
        expect(account.stake).toBe(net.client.stake);
        expect(account.balance).toBeGreaterThanOrEqual(net.client.deposit);
        expect(account.balance).toBeLessThan(net.client.deposit + toNano('0.05'));
        expect(account.charged).toBe(0n);
    });

    it('derives the same network from the same seed and another from another seed', async () => {
        const again = await deployNetwork(await SandboxChain.create(), {
            workers: 1,
            seed: 'spec',
            models: ['tiny-mlp'],
        });
        expect(again.registry.address.equals(net.registry.address)).toBe(true);
        expect(again.proxy.contract.address.equals(net.proxy.contract.address)).toBe(true);
        expect(again.workers[0].keys[0].workerKey).toBe(net.workers[0].keys[0].workerKey);
        expect(again.client.wallet.address.equals(net.client.wallet.address)).toBe(true);
        const other = await deployNetwork(await SandboxChain.create(), {
            workers: 1,
            seed: 'other',
            models: ['tiny-mlp'],
        });
        expect(other.proxy.keyPair.publicKey.equals(net.proxy.keyPair.publicKey)).toBe(false);
    }, 60_000);

    it('refuses a bad worker count or an unknown model clearly', async () => {
        const chain = await SandboxChain.create();
        await expect(deployNetwork(chain, { workers: 0 })).rejects.toThrow('workers must be an integer from 1 to 16');
        await expect(deployNetwork(chain, { models: ['gpt-5' as never] })).rejects.toThrow(
            "unknown devnet model 'gpt-5'",
        );
    });

    it('maps metering kinds to registry kind codes and back', () => {
        for (const kind of MODEL_KINDS) expect(modelKindFromCode(modelKindCode(kind))).toBe(kind);
        expect(() => modelKindFromCode(0n)).toThrow('unknown model kind code 0');
    });
});
