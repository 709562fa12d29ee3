/**
 * Finds a Redis for the devnet: the one at REDIS_URL, else one answering on 127.0.0.1:6379, else a private
 * `redis-server` started on a free port (no persistence) and stopped again on `stop()` or when the process exits.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { closeRedisClient, clusterSeeds, isClusterTarget } from '../queue/connection';

export const INSTALL_REDIS_HINT =
    'No Redis found: set REDIS_URL, run one on 127.0.0.1:6379, or install it with `apt-get install redis-server` (Redis 7).';

export class RedisUnavailableError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'RedisUnavailableError';
    }
}

export interface DevnetRedis {
    url: string;
    /** Where it came from: REDIS_URL, the default local port, or a private server the devnet started. */
    source: 'env' | 'local' | 'private';
    /** Stops the private server (a no-op for the others). */
    stop(): Promise<void>;
}

export interface EnsureRedisOptions {
    env?: Record<string, string | undefined>;
    /** Tried when REDIS_URL is unset. Default redis://127.0.0.1:6379. */
    localUrl?: string;
    /** The server binary to start when nothing answers. Default `redis-server` on the PATH. */
    serverBinary?: string;
    /** How long a ping or a private server's start may take. Default 3000 ms. */
    timeoutMs?: number;
}

/** True when a Redis answers PING at `url` within `timeoutMs` (for a cluster target: its first seed node). */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
    if (isClusterTarget(url)) {
        const [seed] = clusterSeeds(url);
        return redisAnswers(
            `redis://${seed.host.includes(':') ? `[${seed.host}]` : seed.host}:${seed.port}`,
            timeoutMs,
        );
    }
    const client = new Redis(url, {
        lazyConnect: true,
        connectTimeout: timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
    });
    client.on('error', () => undefined); // the failed connect is the answer; nothing to log
    try {
        await client.connect();
        return (await client.ping()) === 'PONG';
    } catch {
        return false;
    } finally {
        await closeRedisClient(client);
    }
}

export async function ensureRedis(options: EnsureRedisOptions = {}): Promise<DevnetRedis> {
    const env = options.env ?? process.env;
    const timeoutMs = options.timeoutMs ?? 3000;
    const none = async () => undefined;
    if (env.REDIS_URL) {
        if (!(await redisAnswers(env.REDIS_URL, timeoutMs))) {
            throw new RedisUnavailableError(`The Redis at REDIS_URL (${env.REDIS_URL}) does not answer.`);
        }
        return { url: env.REDIS_URL, source: 'env', stop: none };
    }
    const localUrl = options.localUrl ?? 'redis://127.0.0.1:6379';
    if (await redisAnswers(localUrl, Math.min(timeoutMs, 1000))) return { url: localUrl, source: 'local', stop: none };
    return startPrivateRedis(options.serverBinary ?? 'redis-server', timeoutMs);
}

/** Starts `redis-server` on a free port, without persistence, and waits until it answers. */
export async function startPrivateRedis(serverBinary = 'redis-server', timeoutMs = 3000): Promise<DevnetRedis> {
    const probe = spawnSync(serverBinary, ['--version'], { stdio: 'ignore' });
    if (probe.error || probe.status !== 0) throw new RedisUnavailableError(INSTALL_REDIS_HINT);
    const port = await freePort();
    const child = spawn(
        serverBinary,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
    );
    const killOnExit = () => child.kill('SIGTERM');
    process.once('exit', killOnExit);
    const url = `redis://127.0.0.1:${port}`;
    const stop = async () => {
        process.removeListener('exit', killOnExit);
        await stopChild(child);
    };
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) break;
        if (await redisAnswers(url, 500)) return { url, source: 'private', stop };
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await stop();
    throw new RedisUnavailableError(`${serverBinary} did not start on port ${port}. ${INSTALL_REDIS_HINT}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
}

/** A TCP port that nothing listens on at the moment (the OS picks it). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            const port = typeof address === 'object' && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}
