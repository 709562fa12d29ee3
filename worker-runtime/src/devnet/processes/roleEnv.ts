/**
 * The environment `chrysalis proxy start` and `chrysalis worker start` are given on the devnet: exactly the variables
 * an operator sets (docs/proxy.md, docs/worker.md), with CHRYSALIS_NETWORK=devnet and the devnet's TON API as the
 * endpoint. The devnet's own settings (simulated TEE, volatile Redis, claims left to the devnet) are named here once.
 */
export interface DevnetEndpoints {
    /** The TON API (CHRYSALIS_TON_ENDPOINT). */
    tonApi: string;
    redisUrl: string;
    prefix: string;
    registry: string;
}

/** What every role process of the devnet shares: the network, Redis and the log level. */
export function sharedEnv(e: DevnetEndpoints, mnemonic: string, logLevel: string): Record<string, string> {
    return {
        CHRYSALIS_NETWORK: 'devnet',
        CHRYSALIS_TON_ENDPOINT: e.tonApi,
        CHRYSALIS_WALLET_MNEMONIC: mnemonic,
        REDIS_URL: e.redisUrl,
        CHRYSALIS_PREFIX: e.prefix,
        CHRYSALIS_REGISTRY: e.registry,
        LOG_LEVEL: logLevel,
    };
}

export interface ProxyEnvOptions {
    proxyAddress: string;
    /** Hex seed of the proxy key the Proxy contract holds. */
    proxySeed: string;
    /** Model files and folders served (each on the registry). */
    models: string[];
    port: number;
    host?: string;
}

export function proxyEnv(o: ProxyEnvOptions): Record<string, string> {
    return {
        CHRYSALIS_PROXY_ADDRESS: o.proxyAddress,
        CHRYSALIS_PROXY_SEED: o.proxySeed,
        CHRYSALIS_PROXY_MODELS: o.models.join(','),
        CHRYSALIS_PROXY_HOST: o.host ?? '127.0.0.1',
        CHRYSALIS_PROXY_PORT: String(o.port),
        // The devnet's workers attest with software-signed quotes (its registry is a test network).
        CHRYSALIS_PROXY_ATTESTATION: 'simulated',
        CHRYSALIS_PROXY_SIMULATED: 'true',
        // The devnet's Redis has no persistence: its ledger is thrown away with the devnet (docs/devnet.md).
        CHRYSALIS_PROXY_VOLATILE_REDIS: 'true',
        // New workers are admitted within a tenth of a second, as in the in-process devnet.
        CHRYSALIS_PROXY_ADMISSION_MS: '100',
    };
}

export interface WorkerEnvOptions {
    modelPath: string;
    /** Hex seed of the worker key (bonded on the registry by the deployment). */
    workerSeed: string;
    /** Where the worker keeps its payout voucher. */
    dataDir: string;
}

export function workerEnv(o: WorkerEnvOptions): Record<string, string> {
    return {
        CHRYSALIS_MODEL_PATH: o.modelPath,
        CHRYSALIS_WORKER_SEED: o.workerSeed,
        CHRYSALIS_ATTESTATION: 'simulated',
        CHRYSALIS_WORKER_DATA_DIR: o.dataDir,
        CHRYSALIS_WORKER_HTTP: 'false',
        // The devnet claims every operator's payout at the end of its run, and prints it.
        CHRYSALIS_PAYOUT_CHECK_MS: '0',
        CHRYSALIS_PAYOUT_THRESHOLD: '1',
        CHRYSALIS_GRANT_TIMEOUT_MS: '120000',
        // Several jobs at once keep the inference thread busy while others wait on Redis (as in-process).
        CHRYSALIS_CONCURRENCY: '8',
        CHRYSALIS_GRANT_POLL_MS: '1000',
    };
}

/**
 * The client CLI's environment (`chrysalis client open`, `chrysalis client serve`), as docs/client.md has an app
 * developer set it against the devnet: the network, the proxy and the registry whose registered proxies `serve` uses.
 */
export function clientEnv(
    e: DevnetEndpoints,
    mnemonic: string,
    proxyUrl: string,
    proxyAddress: { toString(): string },
): Record<string, string> {
    return {
        CHRYSALIS_NETWORK: 'devnet',
        CHRYSALIS_TON_ENDPOINT: e.tonApi,
        CHRYSALIS_CLIENT_MNEMONIC: mnemonic,
        CHRYSALIS_PROXY_URL: proxyUrl,
        CHRYSALIS_PROXY_ADDRESS: proxyAddress.toString(),
        CHRYSALIS_REGISTRY: e.registry,
    };
}
