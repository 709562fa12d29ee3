// Gas operations of the Registry and WorkerStake (issue 2). Each builds its own network from the fixtures so that
// the figures do not depend on the order in which operations run.
import { toNano } from '@ton/core';
import { signReceipt } from '../../../worker-runtime/src/protocol/receipt';
import { deployNetwork, hashOf, Network, RegisteredWorker, registerWorker } from '../../fixtures/network';
import { GasOperation } from '../measure';

const ADMIN = { value: toNano('0.05') };

function namesOf(net: Network, ...workers: RegisteredWorker[]): Map<string, string> {
    const names = new Map<string, string>([
        [net.registry.address.toString(), 'Registry'],
        [net.owner.address.toString(), 'wallet:owner'],
        [net.operator.address.toString(), 'wallet:operator'],
        [net.treasury.address.toString(), 'wallet:treasury'],
        [net.stranger.address.toString(), 'wallet:reporter'],
    ]);
    for (const w of workers) names.set(w.stake.address.toString(), 'WorkerStake');
    return names;
}

async function withWorker(): Promise<{ net: Network; w: RegisteredWorker }> {
    const net = await deployNetwork();
    const w = await registerWorker(net, 'gas-worker', { bond: toNano('10') });
    return { net, w };
}

export const operations: GasOperation[] = [
    {
        name: 'registry.allowModel',
        async run() {
            const net = await deployNetwork();
            const result = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'AllowModel',
                queryId: 0n,
                modelHash: hashOf('gas-model'),
                kind: 1n,
                name: 'whisper-tiny-int8',
            });
            return { result, names: namesOf(net) };
        },
    },
    {
        name: 'registry.setParams',
        async run() {
            const net = await deployNetwork();
            const result = await net.registry.send(net.owner.getSender(), ADMIN, {
                $$type: 'SetParams',
                queryId: 0n,
                params: { ...net.params, pricePerToken: 1200n },
            });
            return { result, names: namesOf(net) };
        },
    },
    {
        name: 'worker.register',
        async run() {
            const net = await deployNetwork();
            const w = await registerWorker(net, 'gas-worker', { bond: toNano('10') });
            return { result: w.result, names: namesOf(net, w) };
        },
    },
    {
        name: 'worker.topUp',
        async run() {
            const { net, w } = await withWorker();
            const result = await w.stake.send(
                net.operator.getSender(),
                { value: toNano('2') },
                { $$type: 'TopUp', queryId: 0n },
            );
            return { result, names: namesOf(net, w) };
        },
    },
    {
        name: 'worker.startUnbonding',
        async run() {
            const { net, w } = await withWorker();
            const result = await w.stake.send(net.operator.getSender(), ADMIN, {
                $$type: 'StartUnbonding',
                queryId: 0n,
            });
            return { result, names: namesOf(net, w) };
        },
    },
    {
        name: 'worker.withdraw',
        async run() {
            const { net, w } = await withWorker();
            await w.stake.send(net.operator.getSender(), ADMIN, { $$type: 'StartUnbonding', queryId: 0n });
            net.blockchain.now! += Number(net.params.workerUnbondingDelay);
            const result = await w.stake.send(net.operator.getSender(), ADMIN, { $$type: 'Withdraw', queryId: 0n });
            return { result, names: namesOf(net, w) };
        },
    },
    {
        name: 'worker.slash',
        async run() {
            const { net, w } = await withWorker();
            const result = await net.registry.send(
                net.owner.getSender(),
                { value: toNano('0.1') },
                {
                    $$type: 'SlashWorker',
                    queryId: 0n,
                    stake: w.stake.address,
                    reason: 1n,
                    fractionBps: 1000n,
                },
            );
            return { result, names: namesOf(net, w) };
        },
    },
    {
        name: 'worker.slashByProof',
        async run() {
            const { net, w } = await withWorker();
            const a = signReceipt(
                { requestId: 1n, modelHash: 2n, inputHash: 3n, outputHash: 4n, registry: net.registry.address },
                w.keyPair.secretKey,
            );
            const b = signReceipt(
                { requestId: 1n, modelHash: 2n, inputHash: 3n, outputHash: 5n, registry: net.registry.address },
                w.keyPair.secretKey,
            );
            const result = await w.stake.send(
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
            );
            return { result, names: namesOf(net, w) };
        },
    },
];
