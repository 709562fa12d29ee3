/**
 * CPU profile of the devnet as processes (1 proxy, 2 tiny-MLP workers, the chain behind its TON API): each process
 * runs under `--cpu-prof`, the closed loop runs `--requests` signed requests, and each component's profile, cut to
 * the loop, is summarized (self time by package/file and function, inclusive time) with `--top` lines per table.
 * CPU per request by component (from /proc) and Redis commands per request (INFO commandstats: a count that does not
 * depend on the machine's load, unlike CPU time) are printed too. bench:scale gives the figures; this says where
 * they go. `--no-profile`: the counts and CPU alone (the profiler itself costs CPU).
 *
 * `--monitor`: Redis commands per request by the process that sent them (MONITOR; it slows Redis down).
 *
 *   npx tsx worker-runtime/bench/scaleProfile.ts [--requests 1000] [--concurrency 16] [--top 40] [--keep DIR] [--no-profile] [--monitor]
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { toNano } from '@ton/core';
import { Redis } from 'ioredis';
import { startProcessDevnet } from '../src/devnet/processes/orchestrator';
import { startPrivateRedis } from '../src/devnet/redis';
import { runFixedRate } from './fixedRate';
import { MonitorCounts, monitorRedis } from './redisMonitor';
import { redisPid } from './scale';
import { processTarget, runLevel, signedBodies } from './http';
import { cpuMsByThread, cpuMsOf, cpuSplitOf, readProfileWithin, summarizeProfile } from './profile';

const IDLE_MS = 5000;
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Calls per command since Redis started (INFO commandstats). */
async function commandStats(redis: Redis): Promise<Map<string, number>> {
    return new Map([...(await commandTimes(redis))].map(([k, v]) => [k, v.calls]));
}

/** Calls and microseconds spent per command since Redis started (INFO commandstats; a script's inner calls too). */
async function commandTimes(redis: Redis): Promise<Map<string, { calls: number; usec: number }>> {
    const out = new Map<string, { calls: number; usec: number }>();
    for (const line of (await redis.info('commandstats')).split('\n')) {
        const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
        if (m) out.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
    }
    return out;
}

async function main() {
    const { values } = parseArgs({
        options: {
            requests: { type: 'string', default: '1000' },
            concurrency: { type: 'string', default: '16' },
            top: { type: 'string', default: '40' },
            keep: { type: 'string' },
            'no-profile': { type: 'boolean', default: false },
            monitor: { type: 'boolean', default: false },
            // An open loop at this rate for --seconds instead of the closed loop: both sides of a comparison then
            // carry the same per-second background work (ticks, polls), so CPU per request compares fairly.
            rate: { type: 'string' },
            seconds: { type: 'string', default: '10' },
        },
    });
    const profile = !values['no-profile'];
    const rate = values.rate ? Number(values.rate) : null;
    const requests = rate ? Math.round(rate * Number(values.seconds)) : Number(values.requests);
    const redis = await startPrivateRedis();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chrysalis-scale-profile-'));
    const devnet = await startProcessDevnet({
        workers: 2,
        models: ['tiny-mlp'],
        generative: [],
        clientStake: toNano('50'),
        clientDeposit: toNano('100'),
        clientFunding: toNano('200'),
        redisUrl: redis.url,
        cpuProfileDir: profile ? dir : undefined,
        onStep: (s) => console.log(s),
    });
    const componentOf = new Map<number, string>();
    const window: [number, number] = [0, 0];
    const cpu: Record<string, number> = {};
    const control = new Redis(redis.url);
    let commands = new Map<string, number>();
    const redisUsec = new Map<string, number>();
    try {
        const target = await processTarget(devnet);
        await runLevel(target, Number(values.concurrency), 200);
        const pid = (n: string) => devnet.children.get(n)!.pid;
        componentOf.set(pid('proxy'), 'proxy');
        componentOf.set(pid('chain'), 'chain');
        for (const w of devnet.workerNames()) componentOf.set(pid(w), `worker ${w}`);
        const redisServer = redisPid(Number(new URL(redis.url).port));
        if (redisServer !== null) componentOf.set(redisServer, 'redis');
        // Idle: what each process spends per second with no request at all (polls, timers, admission rounds).
        const idleBefore = new Map([...componentOf.keys()].map((p) => [p, cpuMsOf(p)]));
        const idleStats = await commandStats(control);
        await new Promise((r) => setTimeout(r, IDLE_MS));
        const idleAfter = await commandStats(control);
        const idleCommands = [...idleAfter].reduce((a, [k, n]) => a + n - (idleStats.get(k) ?? 0), 0) - 1;
        console.log(
            `idle, per second: ${[...componentOf]
                .map(([p, name]) => `${name} ${((cpuMsOf(p) - idleBefore.get(p)!) / (IDLE_MS / 1000)).toFixed(1)} ms`)
                .join(', ')}; Redis ${(idleCommands / (IDLE_MS / 1000)).toFixed(0)} commands`,
        );
        const bodies = rate ? [] : await signedBodies(target, requests);
        const before = new Map([...componentOf.keys()].map((p) => [p, cpuMsOf(p)]));
        const splitBefore = new Map([...componentOf.keys()].map((p) => [p, cpuSplitOf(p)]));
        const threadsBefore = new Map([...componentOf.keys()].map((p) => [p, cpuMsByThread(p)]));
        const self = process.cpuUsage();
        const statsBefore = await commandStats(control);
        const timesBefore = await commandTimes(control);
        const monitor: MonitorCounts | null = values.monitor ? await monitorRedis(redis.url, componentOf) : null;
        if (values.monitor) {
            // Every command's duration (SLOWLOG at threshold 0): the time of each script, by sha.
            await control.config('SET', 'slowlog-log-slower-than', '0');
            await control.config('SET', 'slowlog-max-len', '1000000');
            await control.slowlog('RESET');
        }
        window[0] = monotonicUs();
        let summary: string;
        if (rate) {
            const row = await runFixedRate(target, rate, Number(values.seconds));
            summary = `${rate}/s offered, ${row.achievedPerSecond}/s achieved, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`;
        } else {
            const row = await runLevel(target, Number(values.concurrency), requests, bodies);
            summary =
                `${row.requestsPerSecond.toFixed(1)} req/s, p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms, ` +
                `${row.failures} failures`;
        }
        window[1] = monotonicUs();
        await monitor?.stop();
        if (values.monitor) {
            const entries = (await control.slowlog('GET', -1)) as [number, number, number, string[]][];
            await control.config('SET', 'slowlog-log-slower-than', '10000');
            const byScript = new Map<string, { calls: number; usec: number }>();
            for (const [, , usec, args] of entries) {
                const cmd = String(args[0]).toLowerCase();
                const name =
                    cmd === 'evalsha'
                        ? `evalsha ${String(args[1]).slice(0, 8)} (${args[2]} keys, ${String(args[3]).split(':').pop()?.slice(0, 12)})`
                        : cmd;
                const e = byScript.get(name) ?? { calls: 0, usec: 0 };
                e.calls++;
                e.usec += usec;
                byScript.set(name, e);
            }
            console.log(`Redis time per request by command and script (SLOWLOG, ${entries.length} entries):`);
            for (const [k, v] of [...byScript].sort((a, b) => b[1].usec - a[1].usec).slice(0, 15))
                console.log(
                    `    ${(v.usec / requests).toFixed(1).padStart(7)} µs  ${(v.calls / requests).toFixed(2)} calls  ${k}`,
                );
        }
        if (monitor) {
            for (const [component, counts] of monitor.byComponent) {
                const total = [...counts.values()].reduce((a, b) => a + b, 0);
                console.log(`Redis commands per request from ${component}: ${(total / requests).toFixed(2)}`);
                for (const [cmd, n] of [...counts].sort((a, b) => b[1] - a[1]))
                    console.log(`    ${(n / requests).toFixed(2).padStart(6)}  ${cmd}`);
            }
        }
        const selfUsed = process.cpuUsage(self);
        const statsAfter = await commandStats(control);
        // Redis's own time per request by command: EVALSHA's covers its script's inner calls, which count again
        // under their own names (so the total double-counts them; the EVALSHA line is what the scripts cost).
        for (const [cmd, t] of await commandTimes(control)) {
            const usec = t.usec - (timesBefore.get(cmd)?.usec ?? 0);
            if (usec / requests >= 1) redisUsec.set(cmd, usec / requests);
        }
        for (const [cmd, n] of statsAfter) {
            const d = n - (statsBefore.get(cmd) ?? 0) - (cmd === 'info' ? 1 : 0);
            if (d > 0) commands.set(cmd, d / requests);
        }
        for (const [p, name] of componentOf) {
            cpu[name] = (cpuMsOf(p) - before.get(p)!) / requests;
            cpu[`  ${name}: system (kernel)`] = (cpuSplitOf(p).system - splitBefore.get(p)!.system) / requests;
            // By thread: the main thread against the inference threads, V8's GC helpers and libuv's pool.
            for (const [thread, ms] of cpuMsByThread(p)) {
                const d = (ms - (threadsBefore.get(p)!.get(thread) ?? 0)) / requests;
                if (d > 0) cpu[`  ${name}: ${thread}`] = d;
            }
        }
        cpu.client = (selfUsed.user + selfUsed.system) / 1000 / requests;
        console.log(`${summary}${profile ? ' (profiled)' : ''}`);
    } finally {
        control.disconnect();
        await devnet.stop(process.env.KEEP_LOGS === '1');
        if (process.env.KEEP_LOGS === '1') console.log(`logs: ${devnet.logDir}`);
        await redis.stop();
    }
    for (const [k, v] of Object.entries(cpu)) console.log(`  ${k.padEnd(32)} ${v.toFixed(3)} ms CPU per request`);
    commands = new Map([...commands].sort((a, b) => b[1] - a[1]));
    const total = [...commands.values()].reduce((a, b) => a + b, 0);
    console.log(`Redis commands per request: ${total.toFixed(2)}`);
    for (const [k, v] of commands) console.log(`  ${k.padEnd(32)} ${v.toFixed(2)}`);
    console.log('Redis time per request by command (µs; EVALSHA includes its inner calls):');
    for (const [k, v] of [...redisUsec].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(32)} ${v.toFixed(1)}`);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
        const { pid, profile } = readProfileWithin(path.join(dir, file), window);
        const name = componentOf.get(pid);
        if (!name) continue;
        console.log(`\n===== ${name} (${file})`);
        console.log(summarizeProfile(profile, Number(values.top)));
    }
    if (values.keep) cpSync(dir, values.keep, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
