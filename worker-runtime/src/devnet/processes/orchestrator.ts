/**
 * `npm run devnet -- --processes`: the devnet as separate OS processes, each through its real command. The chain
 * (`chrysalis devnet chain --deploy`: the sandbox with the network deployed by deployNetwork, behind the devnet's TON
 * API), a private `redis-server` (unless a Redis is given), `chrysalis proxy start` and one `chrysalis worker start`
 * per (operator, model), configured by environment as operators configure them (CHRYSALIS_NETWORK=devnet, the TON API
 * as endpoint), and the client side as an app developer runs it, through the client CLI: the tensor request stream
 * is one `chrysalis client infer --inputs <requests.jsonl> --json` process with the demo client's words (the wallet
 * and account the chain process deployed; tensorClient.ts), settled by `chrysalis client commit` from the voucher file
 * it kept; the generative demo goes through `chrysalis client serve` (the OpenAI-compatible gateway) with the `openai`
 * package, with a wallet and an account of its own opened by `chrysalis client open` (gatewayProcess.ts).
 * This process sends no request and signs nothing as a client: it hands the demo client's words (derived from the
 * seed) to the client process, writes the requests file, reads the client process's answer lines, and runs the
 * in-process devnet's settlement and reconciliation (run.ts) over the TON API. The payout claims differ: the role
 * processes are not reachable from here, so each operator's latest payout voucher (asked of the proxy over RA-TLS,
 * as a worker asks) is claimed from its wallet here; and the gateway settles its account by stopping (it commits
 * first).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import type { Redis } from 'ioredis';
import { TonChain } from '../../chain/tonChain';
import type { Wallet } from '../../chain/chain';
import { closeRedisClient, createRedisClient, deleteKeysUnder } from '../../queue';
import { saveRegistrySnapshot } from '../../client/registrySnapshot';
import { claimPayoutIfDue } from '../../roles/worker/payout';
import { walletContract } from '../../cli/networkConfig';
import { DeployNetworkOptions, networkModels } from '../deployNetwork';
import { devnetKeySeed, devnetMnemonic } from '../keys';
import { DevnetRedis, ensureRedis, freePort, startPrivateRedis } from '../redis';
import type { ClientProcessSession } from '../run';
import { snapshotTransport } from '../send';
import { DevnetView, viewOverChain, workerKeyLabel } from '../view';
import { ClientAccount } from '../../../../wrappers/ClientAccount';
import { runGatewayDemo } from '../gatewayDemo';
import {
    GATEWAY,
    GatewayClient,
    GatewayFunding,
    GatewaySpec,
    openGatewayClient,
    RUN_FUNDING,
    startGateway,
    stopGateway,
} from './gatewayProcess';
import { Child, Children } from './children';
import { parseChainReady } from './chainReady';
import { clientEnv, DevnetEndpoints, proxyEnv, sharedEnv, workerEnv } from './roleEnv';
import { commitTensorClient, runTensorStream, TensorClientSpec } from './tensorClient';

/** The repository root: bin/chrysalis.js is found from it. */
const ROOT = resolve(__dirname, '../../../..');
const CHRYSALIS_BIN = join(ROOT, 'bin', 'chrysalis.js');

/** What each role process's wallet is given by the faucet (gas for commitments and payout claims). */
const OPERATOR_WALLET_TON = '20';
/** Gas attached to a payout claim (as CHRYSALIS_PAYOUT_VALUE's default). */
const PAYOUT_VALUE = 50_000_000n;

export interface StartProcessDevnetOptions extends Pick<
    DeployNetworkOptions,
    'workers' | 'seed' | 'models' | 'generative' | 'clientStake' | 'clientDeposit' | 'clientFunding'
> {
    /** Port of the proxy's API (0 = any free port). */
    port?: number;
    /** Port of the TON API (0 = any free port). */
    apiPort?: number;
    /** Chain seconds per wall-clock second (default 1). */
    timeScale?: number;
    /** A Redis to use (default: a private `redis-server` on a free loopback port, stopped with the devnet). */
    redisUrl?: string;
    /** Log level of the role processes (their logs go to files under `logDir`): info (default, as operators run
     * them; readiness is read from their info lines) or debug. */
    logLevel?: 'info' | 'debug';
    /** How long a process may take to get ready (default 180 s: a loaded machine loads ONNX Runtime slowly). */
    readyTimeoutMs?: number;
    onStep?: (message: string) => void;
    /** Record a V8 CPU profile of the chain, proxy and worker processes into this folder (written when they exit). */
    cpuProfileDir?: string;
    /**
     * Run the client gateway (`chrysalis client serve`, account opened by `chrysalis client open`) and send the
     * generative demo through it (default: when a generative model is served).
     */
    gateway?: boolean;
    /** What the gateway's wallet and account are given (default RUN_FUNDING). */
    gatewayFunding?: GatewayFunding;
}

export interface DevnetProcess {
    name: string;
    /** `proxy`, `chain`, or the operator index of a worker. */
    role: 'chain' | 'proxy' | 'worker';
    operator?: number;
    model?: string;
}

export interface ProcessDevnet extends ClientProcessSession {
    network: DevnetView;
    children: Children;
    /** Where every process's log is (removed on stop unless the run failed). */
    logDir: string;
    tonApi: string;
    /** The TON API's base URL: its faucet is POST /admin/fund. */
    tonApiBase: string;
    redisUrl: string;
    prefix: string;
    endpoints: DevnetEndpoints;
    /** The worker processes by name (`worker-<operator>-<model>`). */
    workerNames(): string[];
    /** Ends a process as a crash would (SIGKILL to its group). */
    kill(name: string): Promise<void>;
    /** Starts the proxy process again (after a kill or a stop), on the same port and Redis; resolves when it serves. */
    restartProxy(): Promise<void>;
    /** The client processes that sent tensor streams (`chrysalis client infer --inputs`), in order. */
    tensorClients: Array<{ pid: number; args: string[] }>;
    /** The gateway's client (wallet, account, words), or null when the devnet runs no gateway. */
    gatewayClient: GatewayClient | null;
    /** The running gateway's base URL (`http://127.0.0.1:P/v1`), or null while it is stopped. */
    gatewayUrl(): string | null;
    /** Starts the gateway process (again) on `port` (0 = any free port); resolves with its URL once it serves. */
    startGateway(port?: number): Promise<string>;
    /** Stops the gateway as Ctrl-C does: it commits its account's usage, then exits. */
    stopGateway(): Promise<void>;
    /** Stops every process (SIGTERM, then SIGKILL), Redis too when private; keeps the logs when `keepLogs`. */
    stop(keepLogs?: boolean): Promise<void>;
}

export async function startProcessDevnet(options: StartProcessDevnetOptions = {}): Promise<ProcessDevnet> {
    const step = options.onStep ?? (() => undefined);
    const seed = options.seed ?? 'devnet';
    const workerCount = options.workers ?? 2;
    const readyMs = options.readyTimeoutMs ?? 180_000;
    const logLevel = options.logLevel ?? 'info';
    const logDir = mkdtempSync(join(tmpdir(), 'chrysalis-devnet-processes-'));
    // Node's CPU profiler (written when the process exits); a command-line flag, since NODE_OPTIONS may not carry it.
    const node = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    const children = new Children(logDir);
    const cleanups: Array<() => Promise<unknown>> = [];
    let control: Redis | null = null;
    let redis: DevnetRedis | null = null;
    const stop = async (keepLogs = false) => {
        // The gateway first (it commits its account's usage through the chain), then workers (their jobs finish), then
        // the proxy (it commits), then the chain.
        await stopGateway(children).catch(() => undefined);
        const workers = children.names().filter((n) => n.startsWith('worker-'));
        await Promise.all(workers.map((n) => children.stop(n)));
        await children.stopAll(['proxy', 'chain']);
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
        cleanups.length = 0;
        if (!keepLogs) rmSync(logDir, { recursive: true, force: true });
    };
    // Ctrl-C or a TERM while starting: the children run in process groups of their own, so they would outlive this
    // process; stop them first. (Once started, the caller handles signals.)
    const abort = () => void stop(true).finally(() => process.exit(130));
    process.once('SIGINT', abort);
    process.once('SIGTERM', abort);
    const startupDone = () => {
        process.removeListener('SIGINT', abort);
        process.removeListener('SIGTERM', abort);
    };
    try {
        redis = options.redisUrl
            ? await ensureRedis({ env: { REDIS_URL: options.redisUrl } })
            : await startPrivateRedis();
        const ownRedis = redis;
        cleanups.push(() => ownRedis.stop());
        step(`redis: ${redis.url} (${redis.source === 'private' ? 'a private redis-server' : 'given'})`);

        const models = await networkModels(options);
        const port = options.port || (await freePort());
        // RA-TLS, as the in-process devnet serves it: clients and workers check the proxy's attestation and pin its key.
        const proxyUrl = `https://127.0.0.1:${port}`;
        const chainProcess = children.start({
            name: 'chain',
            command: process.execPath,
            args: [
                ...node,
                CHRYSALIS_BIN,
                'devnet',
                'chain',
                '--deploy',
                `--seed=${seed}`,
                `--workers=${workerCount}`,
                `--models=${models
                    .filter((m) => !m.package)
                    .map((m) => m.name)
                    .join(',')}`,
                `--generative=${models
                    .filter((m) => m.package)
                    .map((m) => m.name)
                    .join(',')}`,
                `--proxy-endpoint=${proxyUrl}`,
                `--api-port=${options.apiPort ?? 0}`,
                `--time-scale=${options.timeScale ?? 1}`,
                ...(['clientStake', 'clientDeposit', 'clientFunding'] as const).flatMap((k) =>
                    options[k] === undefined
                        ? []
                        : [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${options[k]}`],
                ),
            ],
            env: { ...processEnv(), LOG_LEVEL: logLevel },
        });
        const ready = parseChainReady(await chainProcess.waitForLine(/chrysalis-devnet-chain-ready/, readyMs))!;
        step(`chain: pid ${chainProcess.pid}, ton api ${ready.url} (registry ${ready.addresses.registry})`);

        const chain = new TonChain({ network: 'devnet', endpoint: ready.url });
        const view = await viewOverChain(chain, ready.addresses, models);
        // Every role process pays its gas from a wallet of its own, funded by the faucet before the run's ledger
        // opens, and counted with its operator's party.
        const proxyWallet = await operatorWallet(chain, ready.baseUrl);
        const workerWallets = await Promise.all(view.workers.map(() => operatorWallet(chain, ready.baseUrl)));
        view.operatorWallets = {
            proxy: [proxyWallet.wallet.address],
            ...Object.fromEntries(workerWallets.map((w, i) => [`worker ${i}`, [w.wallet.address]])),
        };

        const prefix = `chrysalis-devnet:${randomBytes(4).toString('hex')}`;
        control = createRedisClient(redis.url);
        const controlConnection = control;
        cleanups.push(async () => {
            if (ownRedis.source !== 'private') await deleteKeysUnder(controlConnection, prefix);
            await closeRedisClient(controlConnection);
        });
        const endpoints: DevnetEndpoints = {
            tonApi: ready.url,
            redisUrl: redis.url,
            prefix,
            registry: ready.addresses.registry,
        };
        const voucherDir = join(logDir, 'vouchers');

        const startProxy = async (): Promise<Child> => {
            const child = children.start({
                name: 'proxy',
                command: process.execPath,
                args: [...node, CHRYSALIS_BIN, 'proxy', 'start'],
                env: {
                    ...processEnv(),
                    ...sharedEnv(endpoints, proxyWallet.mnemonic, logLevel),
                    ...proxyEnv({
                        proxyAddress: ready.addresses.proxy.contract,
                        proxySeed: devnetKeySeed(seed, 'proxy').toString('hex'),
                        models: models.map((m) => m.path),
                        port,
                    }),
                },
            });
            await child.waitForLine(/proxy serving/, readyMs);
            return child;
        };
        const proxy = await startProxy();
        step(`proxy: pid ${proxy.pid}, ${proxyUrl} (chrysalis proxy start)`);

        const workerNames: string[] = [];
        const started = view.workers.flatMap((operator) =>
            operator.keys.map((key) => {
                const name = `worker-${operator.index}-${key.model.name}`;
                workerNames.push(name);
                const child = children.start({
                    name,
                    command: process.execPath,
                    args: [...node, CHRYSALIS_BIN, 'worker', 'start'],
                    env: {
                        ...processEnv(),
                        ...sharedEnv(endpoints, workerWallets[operator.index].mnemonic, logLevel),
                        ...workerEnv({
                            modelPath: key.model.path,
                            workerSeed: devnetKeySeed(seed, workerKeyLabel(operator.index, key.model)).toString('hex'),
                            dataDir: voucherDir,
                        }),
                    },
                });
                return child.waitForLine(/admitted: consuming/, readyMs);
            }),
        );
        await Promise.all(started);
        step(
            `workers: ${workerNames.length} processes consuming (chrysalis worker start; simulated TEE), ` +
                models.map((m) => m.name).join(', '),
        );

        // The client side as an app runs it: the CLI opens the gateway's account, `client serve` is the gateway.
        const gatewaySpec: GatewaySpec = {
            children,
            command: process.execPath,
            cli: [...node, CHRYSALIS_BIN],
            env: { ...processEnv(), LOG_LEVEL: logLevel },
            endpoints,
            proxyUrl,
            proxyAddress: view.proxy.contract.address,
            readyMs,
        };
        let gatewayClient: GatewayClient | null = null;
        let gatewayUrl: string | null = null;
        if (options.gateway ?? models.some((m) => m.package)) {
            const opened = await openGatewayClient(gatewaySpec, options.gatewayFunding ?? RUN_FUNDING, (a, ton) =>
                fund(ready.baseUrl, a, ton),
            );
            gatewayClient = opened;
            view.gatewayClient = {
                wallet: { address: opened.wallet },
                account: chain.open(ClientAccount.fromAddress(opened.account)),
            };
            gatewayUrl = await startGateway(gatewaySpec, opened, 0);
            step(`gateway: pid ${children.get(GATEWAY)!.pid}, ${gatewayUrl} (chrysalis client serve; its own account)`);
        }

        const startGatewayAgain = async (port = 0): Promise<string> => {
            if (!gatewayClient) throw new Error('devnet: this devnet runs no gateway (options.gateway)');
            gatewayUrl = await startGateway(gatewaySpec, gatewayClient, port);
            return gatewayUrl;
        };
        const stopGatewayNow = async (): Promise<void> => {
            gatewayUrl = null;
            await stopGateway(children);
        };

        // The tensor stream's client: the demo client's wallet and account (deployed by the chain process), its
        // words handed to the client CLI as an app developer hands them.
        const tensorClients: ProcessDevnet['tensorClients'] = [];
        const tensorSpec: TensorClientSpec = {
            children,
            command: process.execPath,
            cli: [...node, CHRYSALIS_BIN],
            env: {
                ...processEnv(),
                LOG_LEVEL: logLevel,
                ...clientEnv(
                    endpoints,
                    (await devnetMnemonic(seed, 'client')).join(' '),
                    proxyUrl,
                    view.proxy.contract.address,
                ),
            },
            readyMs,
            onStart: (pid, args) => {
                tensorClients.push({ pid, args });
                step(
                    `tensor client: pid ${pid} (chrysalis client infer --inputs ${args[args.indexOf('--inputs') + 1]})`,
                );
            },
        };
        const proxyEntry = {
            proxyId: 1,
            endpoint: proxyUrl,
            publicKey: view.proxy.keyPair.publicKey.toString('hex'),
            proxyAddress: view.proxy.contract.address.toString(),
        };
        const redisControl = control;

        startupDone();
        return {
            network: view,
            proxyUrl,
            children,
            logDir,
            tonApi: ready.url,
            tonApiBase: ready.baseUrl,
            redisUrl: redis.url,
            prefix,
            endpoints,
            workerNames: () => [...workerNames],
            kill: (name) => children.kill(name),
            async restartProxy() {
                await children.stop('proxy');
                await startProxy();
            },
            tensorClients,
            gatewayClient,
            // Null once the process is gone, stopped or killed.
            gatewayUrl: () => (children.get(GATEWAY) ? gatewayUrl : null),
            startGateway: startGatewayAgain,
            stopGateway: stopGatewayNow,
            ...(gatewayClient
                ? {
                      runGenerative: async () =>
                          runGatewayDemo(view, children.get(GATEWAY) ? gatewayUrl! : await startGatewayAgain()),
                  }
                : {}),
            runStream: (streamOptions) => runTensorStream(tensorSpec, view, streamOptions),
            async settleClients() {
                await commitTensorClient(tensorSpec);
                // The gateway commits what its account used as it stops (serve's stop): then the chain has it all.
                if (gatewayClient) await stopGatewayNow();
            },
            async settlePayouts() {
                // Over RA-TLS to the proxy, checked against the registry as read now (its listing, image allow-list).
                const transport = snapshotTransport(
                    proxyUrl,
                    await saveRegistrySnapshot(chain, Address.parse(ready.addresses.registry), []),
                );
                // As a worker claims (claimPayoutIfDue): the freshest voucher the proxy signs when asked, from the
                // operator's wallet. Cumulative per operator: after the first claim the others are below threshold.
                for (const operator of view.workers) {
                    for (const key of operator.keys) {
                        await claimPayoutIfDue({
                            chain,
                            redis: redisControl,
                            prefix,
                            workerKey: key.keyPair.publicKey.toString('hex'),
                            owner: operator.owner.address,
                            proxies: [proxyEntry],
                            transport: () => transport,
                            wallet: workerWallets[operator.index].wallet,
                            threshold: 1n,
                            value: PAYOUT_VALUE,
                        });
                    }
                }
            },
            stop,
        };
    } catch (err) {
        startupDone();
        await stop(true);
        throw err;
    }
}

/** The environment the role processes inherit: this one's PATH and HOME, without its CHRYSALIS_ and REDIS_ settings. */
function processEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined && !/^(CHRYSALIS_|REDIS_URL$|LOG_LEVEL$)/.test(k)) env[k] = v;
    }
    return env;
}

interface OperatorWallet {
    mnemonic: string;
    wallet: Wallet;
}

/** A fresh wallet (v4, as CHRYSALIS_WALLET_VERSION's default), funded by the devnet's faucet. */
async function operatorWallet(chain: TonChain, tonApiBase: string): Promise<OperatorWallet> {
    const words = await mnemonicNew(24);
    const keys = await mnemonicToPrivateKey(words);
    const contract = chain.open(walletContract('v4', 'devnet', keys.publicKey));
    await fund(tonApiBase, contract.address, OPERATOR_WALLET_TON);
    return {
        mnemonic: words.join(' '),
        wallet: { address: contract.address, sender: contract.sender(keys.secretKey) },
    };
}

/** The faucet: POST /admin/fund (what `chrysalis devnet fund` calls). */
export async function fund(tonApiBase: string, address: Address, ton: string): Promise<void> {
    const res = await fetch(`${tonApiBase}/admin/fund`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ address: address.toString(), amount: ton }),
    });
    const body = (await res.json()) as { ok: boolean; error?: string };
    if (!body.ok) throw new Error(`devnet: the faucet refused ${address.toString()}: ${body.error}`);
}
