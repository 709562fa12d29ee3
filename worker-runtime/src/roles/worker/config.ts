import {
    addressSetting,
    boolSetting,
    ConfigOf,
    decimalSetting,
    enumSetting,
    hexSetting,
    intSetting,
    readConfig,
    stringSetting,
} from '../../config/schema';
import { withRedisTarget } from '../../queue/redisTarget';

/**
 * Everything a worker can be configured with, read once at start (environment variables; tests pass overrides).
 * docs/worker.md shows this schema as a table (describeSchema).
 */
export const workerConfigSchema = {
    redisUrl: stringSetting(
        'REDIS_URL',
        'Redis holding the sealed queues, announcements and grants',
        'redis://127.0.0.1:6379',
    ),
    redisCluster: stringSetting(
        'CHRYSALIS_REDIS_CLUSTER',
        'a Redis Cluster to use instead of REDIS_URL: seed nodes as host:port,host:port (docs/queue.md, "Redis Cluster")',
        '',
    ),
    prefix: stringSetting(
        'CHRYSALIS_PREFIX',
        'Prefix of every Redis key of this deployment (shared with the proxy)',
        'chrysalis',
    ),
    registryAddress: addressSetting('CHRYSALIS_REGISTRY', 'Address of the Registry contract of the network'),
    modelPath: stringSetting(
        'CHRYSALIS_MODEL_PATH',
        'ONNX model file this worker serves; its SHA-256 must be on the registry',
    ),
    attestation: enumSetting(
        'CHRYSALIS_ATTESTATION',
        'Quote provider: Intel TDX via configfs-tsm, or simulated (accepted only on test networks)',
        ['tdx', 'simulated'] as const,
        'tdx',
    ),
    workerSeed: hexSetting(
        'CHRYSALIS_WORKER_SEED',
        'Hex 32-byte seed of the Ed25519 worker key (kept inside the TEE); empty = a fresh key at every start',
        32,
        '',
    ),
    register: boolSetting(
        'CHRYSALIS_REGISTER',
        "Register and bond the worker key through the owner's wallet when it has no active stake",
        false,
    ),
    bondNanoton: decimalSetting(
        'CHRYSALIS_BOND',
        "Bond in nanoTON when registering; 0 = the registry's minimum worker stake",
        '0',
    ),
    poolSize: intSetting('CHRYSALIS_POOL_SIZE', 'Inference threads, each with its own ONNX Runtime session', 1, 1),
    intraOpThreads: intSetting('CHRYSALIS_INTRA_OP_THREADS', 'ONNX Runtime intra-op threads per session', 1, 1),
    concurrency: intSetting('CHRYSALIS_CONCURRENCY', 'Jobs taken from the queue at once', 1, 1),
    chatStreams: intSetting(
        'CHRYSALIS_CHAT_STREAMS',
        'Chat requests a chat worker generates at once (they share its engine step by step; replaces CHRYSALIS_CONCURRENCY for chat models)',
        8,
        1,
    ),
    lockDurationMs: intSetting(
        'CHRYSALIS_LOCK_MS',
        "Job lock lifetime; a dead worker's job is retaken after it",
        30_000,
        100,
    ),
    stalledIntervalMs: intSetting(
        'CHRYSALIS_STALLED_INTERVAL_MS',
        'How often stalled jobs are looked for',
        30_000,
        100,
    ),
    shutdownTimeoutMs: intSetting(
        'CHRYSALIS_SHUTDOWN_TIMEOUT_MS',
        'Graceful stop: how long in-flight jobs may finish before they are handed back to the queue',
        10_000,
        1,
    ),
    grantPollMs: intSetting(
        'CHRYSALIS_GRANT_POLL_MS',
        'How often the worker looks at its grant (new key version, demotion)',
        500,
        10,
    ),
    grantTimeoutMs: intSetting(
        'CHRYSALIS_GRANT_TIMEOUT_MS',
        'Give up waiting for a grant after this long; 0 = wait forever',
        0,
        0,
    ),
    httpEnabled: boolSetting('CHRYSALIS_WORKER_HTTP', 'Serve /healthz and /metrics', true),
    httpHost: stringSetting('CHRYSALIS_WORKER_HTTP_HOST', 'Address the health/metrics server listens on', '0.0.0.0'),
    httpPort: intSetting(
        'CHRYSALIS_WORKER_HTTP_PORT',
        'Port of the health/metrics server (0 = any free port)',
        9464,
        0,
        65535,
    ),
    payoutThreshold: decimalSetting(
        'CHRYSALIS_PAYOUT_THRESHOLD',
        'Claim the payout voucher on chain once it is this many billing units above what was paid',
        '10000',
    ),
    payoutCheckMs: intSetting(
        'CHRYSALIS_PAYOUT_CHECK_MS',
        'How often the payout voucher is looked at; 0 = never automatically',
        60_000,
        0,
    ),
    dataDir: stringSetting(
        'CHRYSALIS_WORKER_DATA_DIR',
        'Directory where the worker keeps its latest payout voucher (payout-<worker key>.json): its proof of what it ' +
            "earned if the proxy's Redis loses its data (chrysalis proxy recover takes it); empty = not kept",
        '.chrysalis',
    ),
    plainHttp: boolSetting(
        'CHRYSALIS_WORKER_PLAIN_HTTP',
        'Ask a proxy listed with a plain http:// endpoint for payout vouchers (refused unless the registry marks a test ' +
            'network); an https:// proxy is always reached over RA-TLS, its attestation checked',
        false,
    ),
    payoutValueNanoton: decimalSetting(
        'CHRYSALIS_PAYOUT_VALUE',
        'nanoTON attached to a PayoutSigned message (gas; the excess comes back)',
        '50000000',
    ),
} as const;

export type WorkerConfig = ConfigOf<typeof workerConfigSchema>;

/** The validated worker configuration: environment, then `overrides`; one error lists every bad variable. */
export function readWorkerConfig(
    env: Record<string, string | undefined> = process.env,
    overrides: Partial<WorkerConfig> = {},
): WorkerConfig {
    return withRedisTarget(readConfig(workerConfigSchema, env, overrides));
}
