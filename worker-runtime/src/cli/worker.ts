/**
 * `chrysalis worker start`: one worker against a TON network (docs/worker.md). Reads the worker's configuration and
 * the chain/wallet variables from the environment, checks the model, its attestation and its stake, announces itself,
 * consumes once the proxy grants it the queue key, serves /healthz and /metrics, and stops gracefully on SIGINT or
 * SIGTERM. Exit codes: 0 stopped by a signal, 1 refused to start or failed, 2 usage or configuration error.
 */
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import type { RegistryView } from '../chain';
import { ConfigError } from '../errors';
import type { Logger } from '../observability';
import { readWorkerConfig, WorkerConfig, workerConfigSchema } from '../roles/worker/config';
import { WorkerStartError } from '../roles/worker/errors';
import type { WorkerRole, WorkerRoleDeps } from '../roles/worker';
import { connectNetwork, describeWallet, NETWORK_SCHEMA } from './networkConfig';
import {
    helpText,
    parseCommandLine,
    readConfigs,
    Running,
    ServeIo,
    serveUntilSignal,
    unreadableFiles,
    viewPrefix,
} from './serve';

const USAGE = `usage: chrysalis worker start
       chrysalis worker --help

Configured from the environment (docs/worker.md). The worker key is CHRYSALIS_WORKER_SEED's; bond it first
(npx blueprint run registerWorker) or set CHRYSALIS_REGISTER=true to bond it from the wallet.
SIGINT/SIGTERM: in-flight jobs finish (CHRYSALIS_SHUTDOWN_TIMEOUT_MS) or go back to the queue, then it exits 0.`;

export const WORKER_HELP_TABLES: Array<[string, typeof workerConfigSchema | typeof NETWORK_SCHEMA]> = [
    ['worker', workerConfigSchema],
    ['chain and wallet', NETWORK_SCHEMA],
];

export interface RunningWorker extends Running {
    role: WorkerRole;
    /** Resolves once the proxy's grant is in and the worker consumes its queue. */
    consuming: Promise<void>;
}

/**
 * Everything of a worker process but the network: attests, checks (or registers) the stake, announces and starts
 * waiting for the grant in the background. Throws {@link WorkerStartError} when the worker must not run.
 */
export async function startWorker(
    config: WorkerConfig,
    deps: Omit<WorkerRoleDeps, 'config' | 'registryView'> & { logger: Logger },
): Promise<RunningWorker> {
    // The view is namespaced by the worker key, so the key is fixed here (a fresh one when no seed is configured).
    // The role, Redis and chain libraries load here, not at the top: `--help` and configuration errors need none.
    const { RegistryView } = require('../chain') as typeof import('../chain');
    const { closeRedisClient, createRedisClient, deleteKeysUnder } = require('../queue') as typeof import('../queue');
    const { WorkerRole } = require('../roles/worker') as typeof import('../roles/worker');
    const ephemeral = config.workerSeed === '';
    const seed = ephemeral ? randomBytes(32).toString('hex') : config.workerSeed;
    const publicKey = keyPairFromSeed(Buffer.from(seed, 'hex')).publicKey;
    const redis = createRedisClient(config.redisUrl);
    const namespace = viewPrefix(config.prefix, 'worker', publicKey);
    let view: RegistryView | null = null;
    const closeView = async () => {
        await view?.stop();
        if (ephemeral) await deleteKeysUnder(redis, namespace).catch(() => undefined);
        await closeRedisClient(redis);
    };
    let role: WorkerRole;
    try {
        view = await RegistryView.open({
            chain: deps.chain,
            redis,
            registry: Address.parse(config.registryAddress),
            prefix: namespace,
        });
        view.start();
        role = await WorkerRole.create({ ...deps, config: { ...config, workerSeed: seed }, registryView: view });
    } catch (err) {
        await closeView();
        throw err;
    }
    const log = deps.logger;
    log.info(
        { workerKey: role.workerKey, model: role.modelHash, owner: role.owner.toString(), health: role.httpAddress },
        'announced: waiting for the proxy to admit this worker',
    );
    let stopping = false;
    const consuming = role.consume().then(() => {
        if (!stopping) log.info({ keyVersion: role.keyVersion }, 'admitted: consuming');
    });
    const failed = consuming.then(
        () => new Promise<never>(() => undefined),
        (err) => {
            if (stopping) return new Promise<never>(() => undefined);
            throw err;
        },
    );
    failed.catch(() => undefined); // observed by serveUntilSignal; a spec that only stops need not handle it
    return {
        role,
        consuming,
        failed,
        async stop() {
            stopping = true;
            await role.stop();
            await consuming.catch(() => undefined);
            await closeView();
        },
    };
}

export async function run(argv: string[], io: ServeIo = {}): Promise<number> {
    const out = io.out ?? ((text: string) => process.stdout.write(text));
    const err = io.err ?? ((text: string) => process.stderr.write(text));
    const env = io.env ?? process.env;
    const line = parseCommandLine(argv);
    if (line.kind === 'help') {
        out(helpText(USAGE, WORKER_HELP_TABLES) + '\n');
        return 0;
    }
    if (line.kind === 'usage') {
        err(`chrysalis worker: ${line.problem}\n\n${USAGE}\n`);
        return 2;
    }
    let config;
    try {
        config = readConfigs({ worker: workerConfigSchema, network: NETWORK_SCHEMA }, env);
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        err(`chrysalis worker: ${e.message}\n(chrysalis worker --help lists every variable)\n`);
        return 2;
    }
    const missing = unreadableFiles([['CHRYSALIS_MODEL_PATH', config.worker.modelPath]], true);
    if (missing.length) {
        err(`chrysalis worker: ${missing.join('; ')}\n`);
        return 2;
    }
    const { createLogger } = require('../observability') as typeof import('../observability');
    const log = createLogger('worker', env.LOG_LEVEL ?? 'info');
    const { chain, wallet } = await (io.connect ?? connectNetwork)(config.network);
    log.info(
        { network: chain.network, ...(await describeWallet(chain, wallet.address)) },
        'operator wallet (fund this address)',
    );
    let running: RunningWorker;
    try {
        running = await startWorker(readWorkerConfig({}, config.worker), { chain, wallet, logger: log });
    } catch (e) {
        if (!(e instanceof WorkerStartError)) throw e;
        err(`chrysalis worker: refused to start (${e.code}): ${e.message}\n`);
        return e.code === 'config' ? 2 : 1;
    }
    io.onStarted?.(running);
    return serveUntilSignal(running, log, io.signals);
}
