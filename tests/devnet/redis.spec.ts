import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import {
    ensureRedis,
    INSTALL_REDIS_HINT,
    redisAnswers,
    RedisUnavailableError,
    startPrivateRedis,
} from '../../worker-runtime/src/devnet/redis';

const LOCAL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NOBODY = 'redis://127.0.0.1:1'; // port 1: nothing listens there
const REPO = path.resolve(__dirname, '../..');

describe('devnet redis', () => {
    it('uses REDIS_URL when it answers', async () => {
        const redis = await ensureRedis({ env: { REDIS_URL: LOCAL } });
        expect(redis).toMatchObject({ url: LOCAL, source: 'env' });
        await redis.stop();
    });

    it('refuses a REDIS_URL that does not answer instead of falling back', async () => {
        await expect(ensureRedis({ env: { REDIS_URL: NOBODY }, timeoutMs: 300 })).rejects.toThrow(
            'The Redis at REDIS_URL (redis://127.0.0.1:1) does not answer.',
        );
    });

    it('a probe of a Redis that refuses leaves no timer pending (one would hold the process open for seconds)', () => {
        // In a process of its own: a shared Jest worker has timers of other tests coming and going.
        const probe =
            "const { redisAnswers } = require('./worker-runtime/src/devnet/redis.ts');" +
            `redisAnswers('${NOBODY}', 300).then((a) => console.log(JSON.stringify({ a, timers: process.getActiveResourcesInfo().filter((r) => r === 'Timeout') })));`;
        const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: REPO, encoding: 'utf8' });
        expect(JSON.parse(out)).toEqual({ a: false, timers: [] });
    });

    it('uses the local Redis when REDIS_URL is unset', async () => {
        const redis = await ensureRedis({ env: {}, localUrl: LOCAL });
        expect(redis).toMatchObject({ url: LOCAL, source: 'local' });
    });

    it('starts a private redis-server on a free port when nothing answers, and stops it', async () => {
        const redis = await ensureRedis({ env: {}, localUrl: NOBODY });
        expect(redis.source).toBe('private');
        expect(redis.url).not.toBe(LOCAL);
        const client = new Redis(redis.url);
        expect(await client.set('chrysalis-test:devnet:probe', '1')).toBe('OK');
        await client.quit();
        await redis.stop();
        expect(await redisAnswers(redis.url, 300)).toBe(false);
    });

    it('says how to install Redis when no server binary exists', async () => {
        const attempt = ensureRedis({ env: {}, localUrl: NOBODY, serverBinary: '/nonexistent/redis-server' });
        await expect(attempt).rejects.toBeInstanceOf(RedisUnavailableError);
        await expect(startPrivateRedis('/nonexistent/redis-server')).rejects.toThrow(INSTALL_REDIS_HINT);
        expect(INSTALL_REDIS_HINT).toContain('apt-get install redis-server');
    });
});
