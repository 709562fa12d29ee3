/**
 * The committer lock between real processes (committerLock.ts): two contenders on one Redis, one holds the lock.
 * A holder paused past its lease (SIGSTOP) is replaced by the other with a higher token, and when it resumes its
 * writes with the old token are refused; a holder killed with SIGKILL (no code of its runs) is replaced within the
 * lease. Each child keeps making a fenced write with the last token it held (fixtures/committer.ts).
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../fixtures/redis';

jest.setTimeout(120_000);

const LEASE_MS = 1_000;
const prefix = uniquePrefix('scaleout-lock');
const redis = new Redis(REDIS_URL);
const children: ChildProcess[] = [];

type Line = { held?: number; lost?: number; write?: 'accepted' | 'refused'; token?: number; at: number };

afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
});

function contender(name: string): { child: ChildProcess; lines: Line[] } {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'fixtures', 'committer.ts')], {
        cwd: path.join(__dirname, '..', '..'),
        env: { ...process.env, REDIS_URL, LOCK_PREFIX: prefix, LEASE_MS: String(LEASE_MS), INSTANCE: name },
        stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines: Line[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push({ ...JSON.parse(l), at: Date.now() }));
    return { child, lines };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

test('a paused committer is replaced and fenced off; a killed one is replaced within its lease', async () => {
    const a = contender('a');
    const t1 = await until('a holds the lock', () => a.lines.find((l) => l.held)?.held);
    await until('a writes', () => a.lines.find((l) => l.write === 'accepted' && l.token === t1));
    const b = contender('b');
    // b contends for two leases without getting the lock while a renews it.
    await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS + 1500)); // includes b's start-up
    expect(b.lines.filter((l) => l.held)).toEqual([]);

    // Paused past its lease: b takes over with a higher token.
    const paused = Date.now();
    process.kill(a.child.pid!, 'SIGSTOP');
    const t2 = await until('b takes over', () => b.lines.find((l) => l.held)?.held);
    const pauseTakeover = b.lines.find((l) => l.held)!.at - paused;
    expect(t2).toBeGreaterThan(t1);
    await until('b writes', () => b.lines.find((l) => l.write === 'accepted' && l.token === t2));

    // Resumed: a still believes in its old token for a moment, and every write it makes with it is refused.
    process.kill(a.child.pid!, 'SIGCONT');
    await until('a is refused', () => a.lines.find((l) => l.write === 'refused' && l.token === t1));
    await until('a sees it lost the lock', () => a.lines.find((l) => l.lost === t1));
    expect(a.lines.filter((l) => l.held && l.held !== t1)).toEqual([]);
    expect(b.lines.some((l) => l.write === 'refused')).toBe(false);
    expect(Number(await redis.get(proxyKeys(prefix).committerFence))).toBe(t2);

    // Killed without a chance to release: a takes over once the lease runs out.
    const killed = Date.now();
    b.child.kill('SIGKILL');
    const t3 = await until('a takes over again', () => a.lines.find((l) => l.held && l.held > t2)?.held);
    const killTakeover = a.lines.find((l) => l.held === t3)!.at - killed;
    expect(t3).toBe(t2 + 1);
    await until('a writes with its new token', () => a.lines.find((l) => l.write === 'accepted' && l.token === t3));
    // Within the lease plus one renewal period (and scheduling slack on a loaded machine).
    expect(killTakeover).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 2_000);
    console.log(
        `committer failover with a ${LEASE_MS} ms lease: ${pauseTakeover} ms after SIGSTOP, ${killTakeover} ms after SIGKILL`,
    );
});
