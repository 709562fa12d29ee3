import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { KeyPair } from '@ton/crypto';
import { Redis } from 'ioredis';
import { generateModels } from '../../worker-runtime/scripts/generateModels';
import { RegistryView, SandboxChain, Wallet } from '../../worker-runtime/src/chain';
import { WorkerAdmission } from '../../worker-runtime/src/roles/admission';
import { readWorkerConfig, WorkerConfig, WorkerRole, WorkerRoleDeps } from '../../worker-runtime/src/roles/worker';
import { SimulatedProvider } from '../../worker-runtime/src/tee';
import { Network } from '../fixtures/network';
import { deployWorkerNetwork } from '../fixtures/workerNetwork';

export { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../fixtures/redis';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../fixtures/redis';
const quiet = { warn: () => undefined };

/** A request id as clients make them: 32 random bytes in hex (never all digits in practice). */
export function newRequestId(): string {
    return randomBytes(32).toString('hex');
}

export function features(seed = 0, rows = 1) {
    return {
        features: {
            type: 'float32',
            dims: [rows, 16],
            data: Array.from({ length: rows * 16 }, (_, i) => Math.sin(seed * 31 + i * 0.37)),
        },
    };
}

export { adminSend } from '../fixtures/workerNetwork';

/**
 * A sandbox network ready for workers: the registry allows the simulated TEE image and the tiny MLP, lists one
 * proxy key; a registry view, a proxy-side admission and a Redis client, all under a prefix of their own.
 */
export interface WorkerTestbed {
    net: Network;
    chain: SandboxChain;
    redis: Redis;
    prefix: string;
    view: RegistryView;
    admission: WorkerAdmission;
    proxyKeys: KeyPair;
    modelPath: string;
    modelHash: string;
    operatorWallet: Wallet;
    workerConfig(overrides?: Partial<WorkerConfig>): WorkerConfig;
    /** Creates (announces) a worker that registers its own stake through the operator's wallet. */
    createWorker(overrides?: Partial<WorkerConfig>, deps?: Partial<WorkerRoleDeps>): Promise<WorkerRole>;
    close(): Promise<void>;
}

/** `redisUrl`: the shared Redis by default; a spec that counts commands passes a private server of its own. */
export async function workerTestbed(area: string, redisUrl = REDIS_URL): Promise<WorkerTestbed> {
    generateModels();
    const redis = new Redis(redisUrl);
    const prefix = uniquePrefix(area);
    const { net, chain, view, admission, proxyKeys, modelPath, modelHash } = await deployWorkerNetwork(redis, prefix);
    const operatorWallet = { address: net.operator.address, sender: net.operator.getSender() };
    const workers: WorkerRole[] = [];
    const workerConfig = (overrides: Partial<WorkerConfig> = {}) =>
        readWorkerConfig(
            {},
            {
                redisUrl,
                prefix,
                registryAddress: net.registry.address.toString(),
                modelPath,
                attestation: 'simulated',
                register: true,
                httpEnabled: false,
                grantPollMs: 50,
                lockDurationMs: 1_000,
                stalledIntervalMs: 500,
                shutdownTimeoutMs: 2_000,
                payoutCheckMs: 0,
                dataDir: '', // a spec that wants the kept voucher passes a directory of its own
                ...overrides,
            },
        );
    return {
        net,
        chain,
        redis,
        prefix,
        view,
        admission,
        proxyKeys,
        modelPath,
        modelHash,
        operatorWallet,
        workerConfig,
        async createWorker(overrides = {}, deps = {}) {
            const worker = await WorkerRole.create({
                config: workerConfig(overrides),
                chain,
                registryView: view,
                wallet: operatorWallet,
                provider: new SimulatedProvider({ logger: quiet }),
                attestationPolicy: { logger: quiet },
                ...deps,
            });
            workers.push(worker);
            return worker;
        },
        async close() {
            await Promise.allSettled(workers.map((w) => w.stop()));
            await deleteKeysUnder(redis, prefix);
            await redis.quit();
        },
    };
}

export function addressOf(w: Wallet): Address {
    return w.address;
}
