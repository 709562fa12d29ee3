/**
 * `chrysalis proxy start`: the proxy against a TON network (docs/proxy.md). Reads the proxy's configuration, its
 * contract, key and models, and the chain/wallet variables from the environment; follows the registry, admits
 * attested and staked workers by itself, serves the HTTP API (with /healthz and /metrics), and on SIGINT/SIGTERM
 * stops taking requests, commits its counters and closes. Exit codes as `chrysalis worker`.
 */
import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import type { Redis } from 'ioredis';
import type { Chain, RegistryView, Wallet } from '../chain';
import {
    addressSetting,
    ConfigOf,
    enumSetting,
    hexSetting,
    intSetting,
    Setting,
    stringSetting,
} from '../config/schema';
import { modelKindFromCode } from '../inference/kinds';
import { ChrysalisError, ConfigError } from '../errors';
import type { Logger } from '../observability';
import type { WorkerAdmission } from '../roles/admission';
import type { ProxyRole, ServedModel } from '../roles/proxy';
import type { GenerativeTask } from '../roles/proxy/generative/metering';
import { PROXY_SCHEMA, ProxyConfig } from '../roles/proxy/config';
import type { AttestationPolicy, QuoteProvider } from '../tee';
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

const USAGE = `usage: chrysalis proxy start
       chrysalis proxy close
       chrysalis proxy recover [--voucher FILE|DIR]...
       chrysalis proxy --help

Configured from the environment (docs/proxy.md). The Proxy contract (CHRYSALIS_PROXY_ADDRESS) must hold the key of
CHRYSALIS_PROXY_SEED and the registry must list it; every model file must be on the registry.
SIGINT/SIGTERM: the API stops taking requests, the counters are committed on chain, then it exits 0.
close: takes no new requests, submits every client's outstanding charges, publishes every worker's payout voucher
(valid through the claim window), commits the counters, sends RequestProxyClose from the operator wallet (the Proxy's
owner), prints closeAt, then serves the payout vouchers until SIGINT/SIGTERM. Workers must claim before closeAt;
complete the close after it (completeProxyClose script).
recover: with the proxy stopped, rebuilds its counters in Redis after a wipe or rollback (docs/proxy.md, Operations).`;

function fileListSetting(env: string, description: string): Setting<string[]> {
    return {
        env,
        description,
        parse(raw) {
            const files = raw
                .split(',')
                .map((f) => f.trim())
                .filter((f) => f !== '');
            if (files.length === 0) throw new Error('expected one or more comma-separated file paths');
            return files;
        },
    };
}

/** What `proxy start` needs beyond the role's own settings (PROXY_SCHEMA): its contract, key, models and registry. */
export const PROXY_START_SCHEMA = {
    registryAddress: addressSetting('CHRYSALIS_REGISTRY', 'address of the Registry (allow-lists, models, proxy keys)'),
    proxyAddress: addressSetting('CHRYSALIS_PROXY_ADDRESS', "address of this proxy's Proxy contract"),
    proxySeed: hexSetting(
        'CHRYSALIS_PROXY_SEED',
        "hex 32-byte seed of the proxy's Ed25519 key (kept inside the TEE); the Proxy contract holds its public key",
        32,
    ),
    modelPaths: fileListSetting(
        'CHRYSALIS_PROXY_MODELS',
        'comma-separated ONNX files the proxy serves; each SHA-256 must be on the registry (name and kind come from it)',
    ),
    attestation: enumSetting(
        'CHRYSALIS_PROXY_ATTESTATION',
        'quote provider of /v1/attestation: Intel TDX via configfs-tsm, or simulated (needs CHRYSALIS_PROXY_SIMULATED)',
        ['tdx', 'simulated'] as const,
        'tdx',
    ),
    admissionIntervalMs: intSetting(
        'CHRYSALIS_PROXY_ADMISSION_MS',
        'how often announced workers are checked (attestation, stake) and granted the queue key (0 = never)',
        1000,
        0,
    ),
    pccsUrl: stringSetting(
        'CHRYSALIS_PCCS_URL',
        "PCCS or Intel PCS base URL: TCB info, QE identity and CRLs for workers' TDX quotes (empty = none, and then " +
            'no TDX worker passes the default policy: its TCB status is Unknown)',
        '',
    ),
    pccsApiKey: stringSetting('CHRYSALIS_PCCS_API_KEY', 'Intel PCS subscription key (empty = none)', ''),
    revalidateIntervalMs: intSetting(
        'CHRYSALIS_PROXY_REVALIDATE_MS',
        "how often admitted workers' stakes are read again; an unbonding worker is demoted (0 = never)",
        60000,
        0,
    ),
};

export type ProxyStartConfig = ConfigOf<typeof PROXY_START_SCHEMA>;

export const PROXY_HELP_TABLES: Array<
    [string, typeof PROXY_SCHEMA | typeof PROXY_START_SCHEMA | typeof NETWORK_SCHEMA]
> = [
    ['proxy', PROXY_SCHEMA],
    ['contract, key and models', PROXY_START_SCHEMA],
    ['chain and wallet', NETWORK_SCHEMA],
];

/** The tasks of a model folder (docs/generative.md); a file is a tensor model. */
const GENERATIVE_TASKS: readonly string[] = ['chat', 'text-embedding', 'speech-to-text'] satisfies GenerativeTask[];

/** The proxy cannot serve with what the chain says (a model not on the registry, its key not registered). */
export class ProxyStartError extends ChrysalisError {}

export interface ProxyStartDeps {
    chain: Chain;
    /** Pays CommitState; without it the proxy never commits its counters. */
    wallet?: Wallet;
    /** Default `createProvider({kind: CHRYSALIS_PROXY_ATTESTATION})`. */
    quoteProvider?: QuoteProvider;
    /** Extra policy for the workers' attestations (collateral source, accepted TCB statuses). */
    attestationPolicy?: Partial<Omit<AttestationPolicy, 'registry' | 'role'>>;
    logger: Logger;
}

export interface RunningProxy extends Running {
    role: ProxyRole;
    url: string;
    registryView: RegistryView;
    admission: WorkerAdmission;
}

/**
 * The served models: each file's hash (a folder's package hash) must be on the registry, which also names it and
 * gives its metering kind. A folder is a generative package (chat, embeddings, speech): the proxy loads its tokenizer.
 */
async function servedModels(paths: string[], view: RegistryView): Promise<ServedModel[]> {
    const { readModelFile, readSignature } =
        require('../inference/modelFile') as typeof import('../inference/modelFile');
    const { isModelFolder } =
        require('../roles/worker/generativeModel') as typeof import('../roles/worker/generativeModel');
    const { generativeServedModel } =
        require('../roles/proxy/generative/models') as typeof import('../roles/proxy/generative/models');
    const { readModelPackage } =
        require('../inference/generative/modelPackage') as typeof import('../inference/generative/modelPackage');
    const served: ServedModel[] = [];
    for (const path of paths) {
        const folder = isModelFolder(path);
        const file = folder ? null : await readModelFile(path);
        const hash = file ? file.hash : readModelPackage(path).hash;
        const entry = view.model(BigInt('0x' + hash));
        if (!entry) throw new ProxyStartError(`model ${path} (sha256 ${hash}) is not on the registry`);
        const kind = modelKindFromCode(entry.kind);
        if (!file) {
            if (!GENERATIVE_TASKS.includes(kind)) {
                throw new ProxyStartError(`model folder ${path} is listed as ${kind}, not a generative task`);
            }
            served.push(generativeServedModel(path, entry.name, kind as GenerativeTask));
            continue;
        }
        const { inputs, outputs } = await readSignature(file.bytes);
        served.push({ hash, name: entry.name, kind, inputs, outputs });
    }
    return served;
}

/**
 * Everything of a proxy process but the network: follows the registry, creates admission (the proxy role runs it
 * every `admissionIntervalMs`), and starts the role. Throws {@link ProxyStartError} or ConfigError when it must not run.
 */
export async function startProxy(
    config: { proxy: ProxyConfig; start: ProxyStartConfig },
    deps: ProxyStartDeps,
): Promise<RunningProxy> {
    // The role, Redis, chain and TEE libraries load here, not at the top: `--help` and configuration errors need none.
    const { RegistryView } = require('../chain') as typeof import('../chain');
    const { closeRedisClient, createRedisClient } = require('../queue') as typeof import('../queue');
    const { WorkerAdmission } = require('../roles/admission') as typeof import('../roles/admission');
    const { ProxyRole } = require('../roles/proxy') as typeof import('../roles/proxy');
    const { createProvider } = require('../tee') as typeof import('../tee');
    const { proxy, start } = config;
    const log = deps.logger;
    const proxyKeys = keyPairFromSeed(Buffer.from(start.proxySeed, 'hex'));
    const redis: Redis = createRedisClient(proxy.redisUrl);
    const cleanup: Array<() => Promise<unknown>> = [() => closeRedisClient(redis)];
    try {
        const registryView = await RegistryView.open({
            chain: deps.chain,
            redis,
            registry: Address.parse(start.registryAddress),
            prefix: viewPrefix(proxy.prefix, 'proxy', proxyKeys.publicKey),
        });
        registryView.start();
        cleanup.push(() => registryView.stop());
        const models = await servedModels(start.modelPaths, registryView);
        let admission: WorkerAdmission;
        try {
            admission = await WorkerAdmission.create({
                redis,
                chain: deps.chain,
                registryView,
                prefix: proxy.prefix,
                proxyKeyPair: proxyKeys,
                policy: { logger: log, ...deps.attestationPolicy },
            });
        } catch (err) {
            throw new ProxyStartError(`${(err as Error).message} (CHRYSALIS_PROXY_SEED is not a registered proxy's)`);
        }
        const role = new ProxyRole({
            chain: deps.chain,
            proxyAddress: Address.parse(start.proxyAddress),
            proxyKeys,
            wallet: deps.wallet,
            models,
            admission,
            admissionIntervalMs: start.admissionIntervalMs,
            revalidateIntervalMs: start.revalidateIntervalMs,
            quoteProvider: deps.quoteProvider ?? createProvider({ kind: start.attestation, logger: log }),
            config: proxy,
            logger: log,
        });
        cleanup.push(() => role.stop());
        const { url } = await role.start();
        log.info({ url, models: models.map((m) => `${m.name} ${m.hash}`) }, 'proxy serving; admitting workers');
        return {
            role,
            url,
            registryView,
            admission,
            async stop() {
                for (const step of cleanup.reverse()) await step().catch(() => undefined);
                cleanup.length = 0;
            },
        };
    } catch (err) {
        for (const step of cleanup.reverse()) await step().catch(() => undefined);
        throw err;
    }
}

export async function run(argv: string[], io: ServeIo = {}): Promise<number> {
    const out = io.out ?? ((text: string) => process.stdout.write(text));
    const err = io.err ?? ((text: string) => process.stderr.write(text));
    const env = io.env ?? process.env;
    if (argv[0] === 'recover') {
        const { runRecover } = require('./proxyRecover') as typeof import('./proxyRecover');
        return runRecover(argv.slice(1), io);
    }
    const line = parseCommandLine(argv, ['start', 'close']);
    if (line.kind === 'help') {
        out(helpText(USAGE, PROXY_HELP_TABLES) + '\n');
        return 0;
    }
    if (line.kind === 'usage') {
        err(`chrysalis proxy: ${line.problem}\n\n${USAGE}\n`);
        return 2;
    }
    let config;
    try {
        config = readConfigs({ proxy: PROXY_SCHEMA, start: PROXY_START_SCHEMA, network: NETWORK_SCHEMA }, env);
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        err(`chrysalis proxy: ${e.message}\n(chrysalis proxy --help lists every variable)\n`);
        return 2;
    }
    const missing = unreadableFiles(
        config.start.modelPaths.map((f): [string, string] => ['CHRYSALIS_PROXY_MODELS', f]),
        true,
    );
    if (missing.length) {
        err(`chrysalis proxy: ${missing.join('; ')}\n`);
        return 2;
    }
    const { createLogger } = require('../observability') as typeof import('../observability');
    const { pccsPolicy } = require('../tee') as typeof import('../tee');
    const log = createLogger('proxy', env.LOG_LEVEL ?? 'info');
    const { chain, wallet } = await (io.connect ?? connectNetwork)(config.network);
    log.info(
        { network: chain.network, ...(await describeWallet(chain, wallet.address)) },
        'operator wallet (fund this address)',
    );
    let running: RunningProxy;
    try {
        running = await startProxy(config, {
            chain,
            wallet,
            logger: log,
            attestationPolicy: pccsPolicy(config.start.pccsUrl, config.start.pccsApiKey),
        });
    } catch (e) {
        if (e instanceof ConfigError) {
            err(`chrysalis proxy: ${e.message}\n`);
            return 2;
        }
        if (!(e instanceof ProxyStartError)) throw e;
        err(`chrysalis proxy: refused to start: ${e.message}\n`);
        return 1;
    }
    io.onStarted?.(running);
    if (line.kind === 'close') {
        try {
            const closed = await running.role.requestClose();
            out(
                `close requested: closeAt ${closed.closeAt} (${new Date(closed.closeAt * 1000).toISOString()}); ` +
                    `${closed.charged.size} client charges submitted, ${closed.payouts.size} payout vouchers published\n`,
            );
        } catch (e) {
            await running.stop();
            const { ProxyCloseError } = require('../roles/proxy') as typeof import('../roles/proxy');
            if (!(e instanceof ProxyCloseError)) throw e;
            err(`chrysalis proxy: cannot close: ${e.message}\n`);
            return 1;
        }
    }
    return serveUntilSignal(running, log, io.signals);
}
