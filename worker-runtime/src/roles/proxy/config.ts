/**
 * The proxy's one configuration object: every option has an environment variable, a default and a description
 * (docs/proxy.md's table is `describeSchema(PROXY_SCHEMA)`). Keys, wallets and the chain are passed in code, since
 * they are objects rather than strings; everything an operator tunes is here.
 */
import { boolSetting, ConfigOf, intSetting, readConfig, stringSetting } from '../../config/schema';
import { withRedisTarget } from '../../queue/redisTarget';

export const PROXY_SCHEMA = {
    host: stringSetting('CHRYSALIS_PROXY_HOST', 'address the HTTP API listens on', '127.0.0.1'),
    port: intSetting('CHRYSALIS_PROXY_PORT', 'port of the HTTP API (0 = any free port)', 8080, 0, 65535),
    redisUrl: stringSetting('REDIS_URL', 'Redis holding the queues, counters and receipts', 'redis://127.0.0.1:6379'),
    redisCluster: stringSetting(
        'CHRYSALIS_REDIS_CLUSTER',
        'a Redis Cluster to use instead of REDIS_URL: seed nodes as host:port,host:port (docs/queue.md, "Redis Cluster")',
        '',
    ),
    prefix: stringSetting(
        'CHRYSALIS_PREFIX',
        'prefix of every Redis key (queues, counters, workers, grants)',
        'chrysalis',
    ),
    resultTimeoutMs: intSetting(
        'CHRYSALIS_PROXY_RESULT_TIMEOUT_MS',
        'how long one attempt waits for its result, from the moment a worker takes the job, before that worker ' +
            'counts as timed out',
        10000,
        1,
    ),
    maxQueueWaitMs: intSetting(
        'CHRYSALIS_PROXY_MAX_QUEUE_WAIT_MS',
        'how long a queued request may wait for a worker to take it before it is taken back and refused with 503 ' +
            '(nobody is blamed for a backlog; the per-attempt timeout starts when a worker takes the job)',
        30000,
        1,
    ),
    admissionQueueWaitMs: intSetting(
        'CHRYSALIS_PROXY_ADMISSION_QUEUE_WAIT_MS',
        'refuse new requests for a model (503 overloaded, with Retry-After) while its oldest queued request has ' +
            'waited longer than this',
        5000,
        0,
    ),
    maxAttempts: intSetting(
        'CHRYSALIS_PROXY_MAX_ATTEMPTS',
        'how many workers a request may be tried on (timeouts and failures move it to the next one)',
        3,
        1,
    ),
    rotationGraceMs: intSetting(
        'CHRYSALIS_PROXY_ROTATION_GRACE_MS',
        'after a queue-key rotation, how long a request waits for admitted workers to pick up the new key ' +
            '(their failures to open a job meanwhile are not held against them)',
        15000,
        0,
    ),
    bodyLimitBytes: intSetting(
        'CHRYSALIS_PROXY_BODY_LIMIT',
        'largest accepted HTTP body in bytes',
        4 * 1024 * 1024,
        1024,
    ),
    streamIdleTimeoutMs: intSetting(
        'CHRYSALIS_PROXY_STREAM_IDLE_MS',
        'how long a generation stream may stay silent (after its first chunk) before the worker counts as gone',
        30000,
        1,
    ),
    maxAudioSeconds: intSetting(
        'CHRYSALIS_PROXY_MAX_AUDIO_S',
        'longest audio accepted by POST /v1/transcribe, in seconds',
        300,
        1,
    ),
    maxEmbedInputs: intSetting(
        'CHRYSALIS_PROXY_MAX_EMBED_INPUTS',
        'most strings in one POST /v1/embed request',
        256,
        1,
    ),
    requestMaxValiditySeconds: intSetting(
        'CHRYSALIS_PROXY_MAX_VALIDITY_S',
        'largest accepted validUntil − now of a signed request (limits replay of a captured request)',
        3600,
        1,
    ),
    voucherValiditySeconds: intSetting(
        'CHRYSALIS_PROXY_VOUCHER_VALIDITY_S',
        'validUntil of signed charge and payout vouchers, in seconds from now',
        30 * 86400,
        60,
    ),
    accountCacheMs: intSetting(
        'CHRYSALIS_PROXY_ACCOUNT_CACHE_MS',
        'how long an on-chain ClientAccount read is reused (0 = read on every request)',
        500,
        0,
    ),
    reputationMinSuccessRate: intSetting(
        'CHRYSALIS_PROXY_MIN_SUCCESS_PCT',
        'success rate (percent, over the window) below which a worker is demoted',
        50,
        0,
    ),
    reputationMinSamples: intSetting(
        'CHRYSALIS_PROXY_MIN_SAMPLES',
        'attempts a worker must have made before its success rate can demote it',
        3,
        1,
    ),
    reputationWindow: intSetting('CHRYSALIS_PROXY_REPUTATION_WINDOW', 'attempts remembered per worker', 50, 1),
    commitEveryRequests: intSetting(
        'CHRYSALIS_PROXY_COMMIT_EVERY',
        'commit the counters digest on chain after this many charged requests (0 = only on timer/shutdown)',
        100,
        0,
    ),
    commitIntervalMs: intSetting(
        'CHRYSALIS_PROXY_COMMIT_INTERVAL_MS',
        'commit the counters digest on chain at least this often when something changed (0 = never on a timer)',
        60000,
        0,
    ),
    committerLeaseMs: intSetting(
        'CHRYSALIS_PROXY_COMMITTER_LEASE_MS',
        'lease of the committer lock among the instances serving this proxy: when the committing instance stops ' +
            'renewing it, another takes over after at most this long (docs/proxy.md, "Several instances")',
        10000,
        300,
    ),
    rollbackCheckMs: intSetting(
        'CHRYSALIS_PROXY_ROLLBACK_CHECK_MS',
        "how often Redis's state is compared with the commitment on chain while serving (0 = only at start and " +
            'before each commitment); on a mismatch the proxy stops serving',
        5000,
        0,
    ),
    allowVolatileRedis: boolSetting(
        'CHRYSALIS_PROXY_VOLATILE_REDIS',
        'serve on a Redis without persistence (appendonly no): for tests and the devnet only, since a restart of ' +
            'such a Redis loses the ledger',
        false,
    ),
    plainHttp: boolSetting(
        'CHRYSALIS_PROXY_PLAIN_HTTP',
        'serve plain HTTP instead of RA-TLS (HTTPS whose key the attestation binds): refused unless the registry marks ' +
            'a test network; clients must opt in too. Requests and answers then cross the network in clear',
        false,
    ),
    allowSimulatedAttestation: boolSetting(
        'CHRYSALIS_PROXY_SIMULATED',
        'allow a simulated attestation provider (software quotes, no TEE); refused unless the network is a test network',
        false,
    ),
};

export type ProxyConfig = ConfigOf<typeof PROXY_SCHEMA>;

export function readProxyConfig(
    env: Record<string, string | undefined> = process.env,
    overrides: Partial<ProxyConfig> = {},
): ProxyConfig {
    return withRedisTarget(readConfig(PROXY_SCHEMA, env, overrides));
}
