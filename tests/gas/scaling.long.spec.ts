import { beginCell, toNano } from '@ton/core';
import { internal, SmartContract } from '@ton/sandbox';
import { signReceipt } from '../../worker-runtime/src/protocol/receipt';
import {
    deployNetwork,
    keyToUint,
    Network,
    registerWorker,
    registrationConsent,
    workerKeyPair,
} from '../fixtures/network';
import { deliverDirect, succeeded } from '../fixtures/deliver';
import { measureChain } from './measure';
import { REGISTER_WORKER_FEE, storeRegisterWorker } from '../../wrappers/Registry';
import { WorkerStake } from '../../wrappers/WorkerStake';

// Sharded state: the registry keeps nothing per worker, each stake is its own contract. Registering and slashing
// must cost the same with 1 and with 1,000 workers registered.
async function registerAndSlash(net: Network, label: string) {
    const names = new Map<string, string>();
    const w = await registerWorker(net, label, { bond: toNano('10') });
    const register = measureChain(w.result, names).gas;
    const slash = measureChain(
        await net.registry.send(
            net.owner.getSender(),
            { value: toNano('0.1') },
            {
                $$type: 'SlashWorker',
                queryId: 0n,
                stake: w.stake.address,
                reason: 1n,
                fractionBps: 1000n,
            },
        ),
        names,
    ).gas;
    const registry = net.registry.address;
    const a = signReceipt(
        { requestId: 9n, modelHash: 1n, inputHash: 2n, outputHash: 3n, registry },
        w.keyPair.secretKey,
    );
    const b = signReceipt(
        { requestId: 9n, modelHash: 1n, inputHash: 2n, outputHash: 4n, registry },
        w.keyPair.secretKey,
    );
    const proof = measureChain(
        await w.stake.send(
            net.stranger.getSender(),
            { value: toNano('0.1') },
            {
                $$type: 'SlashByProof',
                queryId: 0n,
                receiptA: a.cell,
                signatureA: a.signature,
                receiptB: b.cell,
                signatureB: b.signature,
            },
        ),
        names,
    ).gas;
    return { register, slash, proof };
}

/** The hash of a deployed contract's persistent data. */
function dataHash(contract: SmartContract): string {
    const state = contract.account.account?.storage.state;
    if (state?.type !== 'active' || !state.state.data) throw new Error('contract not active');
    return state.state.data.hash().toString('hex');
}

describe('gas does not grow with the number of workers', () => {
    it('register, governance slash and proof slash cost the same (±1%) with 1 and with 1,000 workers', async () => {
        const net = await deployNetwork();
        const first = await registerAndSlash(net, 'first');
        // 998 more workers. Each registration runs both of its transactions (the registry's check and the stake's
        // deploy) with deliverDirect: the sandbox's emulator and account states without sendMessage's bookkeeping,
        // which takes more than half of the time under jest.
        net.blockchain.verbosity = { print: false, blockchainLogs: false, vmLogs: 'none', debugLogs: false };
        const value = net.params.minWorkerStake + REGISTER_WORKER_FEE;
        const registry = await net.blockchain.getContract(net.registry.address);
        const registryData = dataHash(registry);
        let activated = 0;
        let lastKey = 0n;
        for (let i = 1n; i <= 998n; i++) {
            const keyPair = workerKeyPair(`scaling-${i}`);
            lastKey = keyToUint(keyPair.publicKey);
            const body = beginCell()
                .store(
                    storeRegisterWorker({
                        $$type: 'RegisterWorker',
                        queryId: i,
                        workerKey: lastKey,
                        modelHash: net.modelHash,
                        imageHash: net.workerImageHash,
                        ...registrationConsent(net, keyPair, net.operator.address),
                    }),
                )
                .endCell();
            const txs = await deliverDirect(
                net.blockchain,
                internal({ from: net.operator.address, to: net.registry.address, value, body }),
            );
            if (txs.length === 2 && txs.every(succeeded)) activated++;
        }
        expect(activated).toBe(998);
        // The registry keeps nothing per worker: 998 registrations left its storage exactly as it was (it records only
        // the latest registrant, the operator already).
        expect(dataHash(await net.blockchain.getContract(net.registry.address))).toBe(registryData);
        expect((await net.registry.getWorkerStakeAddress(lastKey)).toString()).toBe(
            (await WorkerStake.fromInit(net.registry.address, lastKey)).address.toString(),
        );
        const stake998 = net.blockchain.openContract(
            WorkerStake.fromAddress(await net.registry.getWorkerStakeAddress(lastKey)),
        );
        expect((await stake998.getState()).status).toBe(1n); // Active
        const last = await registerAndSlash(net, 'thousandth');
        for (const key of ['register', 'slash', 'proof'] as const) {
            expect(Math.abs(last[key] - first[key])).toBeLessThanOrEqual(first[key] * 0.01);
        }
        console.log(`gas with 1 worker: ${JSON.stringify(first)}; with 1,000: ${JSON.stringify(last)}`);
    }, 120_000);
});
