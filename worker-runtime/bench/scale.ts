/**
 * `npm run bench:scale [-- --requests 600 --concurrency 16 --seconds 5 --out bench/scale.json]`
 *
 * The devnet in one process against the devnet as processes (`npm run devnet -- --processes`: 1 proxy process and 2
 * worker processes for the tiny MLP, the chain behind its TON API, a private redis-server), and raw BullMQ, all in one
 * run on one private Redis (this machine's speed varies about 3× from day to day; ratios within a run are the figure):
 *   - raw BullMQ jobs/s at the same concurrency (bench/queue.ts, tiny jobs);
 *   - end-to-end req/s and p50/p99 on the tiny MLP, closed loop (bench/http.ts), each devnet;
 *   - for the processes: open loop at half its best rate (bench/fixedRate.ts): does it keep up with p99 ≤ 50 ms?
 *   - chat tokens/s with 4 concurrent streams (bench/chatStreams.ts), each devnet;
 *   - CPU per request by component (user + system time of each process over the closed loop, from /proc), and
 *     what reaching 40 % of raw BullMQ would take.
 * `--profile`: also a V8 CPU profile of each process over the closed loop (summarized by package and function).
 * Prints the figures and writes them to the results file. Never a timed test.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { toNano } from '@ton/core';
import { startDevnet } from '../src/devnet/orchestrator';
import { startProcessDevnet } from '../src/devnet/processes/orchestrator';
import { startPrivateRedis } from '../src/devnet/redis';
import { lanes, streamChat, Figures, round } from './chatStreams';
import { FixedRateRow, formatFixedRate, runFixedRate } from './fixedRate';
import { BenchTarget, formatHttpBench, HttpBenchRow, processTarget, runLevel, signedBodies } from './http';
import { cpuMsOf, readProfileWithin, summarizeProfile } from './profile';
import { benchRawQueue, QueueBenchRow } from './queue';

/** Targets of issue 14: processes ≥ 15 % of raw BullMQ's jobs/s; p99 ≤ 50 ms at half the best rate. */
export const SCALE_TARGETS = { shareOfRaw: 0.15, p99MsAtHalfRate: 50, stretchShareOfRaw: 0.4 };

/** A stake and deposit the benchmark never runs through (no "commit your voucher" refusal mid-run). */
const FUNDS = { clientStake: toNano('50'), clientDeposit: toNano('100'), clientFunding: toNano('200') };
const MODELS = { workers: 2, models: ['tiny-mlp'] as const, generative: ['chat-think'] as const };
const CHAT_STREAMS = 4;
const CHAT_MAX_TOKENS = 32;

/** The pid of the redis-server listening on `port` (by its command line). */
export function redisPid(port: number): number | null {
    for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
            if (cmd.startsWith('redis-server') && (cmd.includes(`:${port}`) || cmd.includes(`--port ${port}`)))
                return Number(entry);
        } catch {
            // gone meanwhile
        }
    }
    return null;
}

type Components = Record<string, number[]>;

/** CPU ms per request of each component over `run`. `components`: name → pids (this process is `client`). */
async function cpuPerRequest(
    components: Components,
    requests: number,
    run: () => Promise<unknown>,
): Promise<Record<string, number>> {
    const read = () =>
        Object.fromEntries(
            Object.entries(components).map(([n, pids]) => [n, pids.reduce((a, p) => a + cpuMsOf(p), 0)]),
        );
    const selfBefore = process.cpuUsage();
    const before = read();
    await run();
    const after = read();
    const self = process.cpuUsage(selfBefore);
    const out: Record<string, number> = { client: round((self.user + self.system) / 1000 / requests, 3) };
    for (const name of Object.keys(components)) out[name] = round((after[name] - before[name]) / requests, 3);
    out.total = round(
        Object.values(out).reduce((a, b) => a + b, 0),
        3,
    );
    return out;
}

async function chatFigures(target: BenchTarget, requestsPerStream: number): Promise<Figures> {
    const model = target.network.models.find((m) => m.name === 'chat-think')!.hashHex;
    const who = {
        account: target.network.client.account.address.toString(),
        secretKey: target.network.client.keyPair.secretKey,
    };
    const one = (i: number) => streamChat(target.client, model, who, i, CHAT_MAX_TOKENS);
    await one(-1); // warm-up
    return lanes(CHAT_STREAMS, CHAT_STREAMS * requestsPerStream, one);
}

export interface ScaleResults {
    date: string;
    machine: { cpus: number; cpuModel: string; node: string; loadAverage: number[] };
    concurrency: number;
    requests: number;
    rawBullmq: QueueBenchRow;
    inProcess: { closedLoop: HttpBenchRow; chat: Figures; cpuMsPerRequest: Record<string, number> };
    processes: {
        closedLoop: HttpBenchRow;
        halfRate: FixedRateRow;
        chat: Figures;
        cpuMsPerRequest: Record<string, number>;
        /** With --profile: each process's V8 profile over the closed loop (self time by package/file and function). */
        profiles?: Record<string, string>;
    };
    shareOfRaw: { inProcess: number; processes: number; target: number; met: boolean };
    halfRateTarget: { p99Ms: number; keptUp: boolean; met: boolean };
    /** What 40 % of raw BullMQ would take: the total CPU per request it allows on this machine's cores, and now. */
    fortyPercent: { requestsPerSecond: number; cpuMsPerRequestAllowed: number; cpuMsPerRequestNow: number };
}

/** CLOCK_MONOTONIC in µs: the time base of V8's CPU profiles too, so a window here selects their samples. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * The profiles `--cpu-prof` wrote (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile), each cut to `window` and
 * summarized, by component (several processes of one component: the busiest).
 */
function profilesOver(
    dir: string,
    window: [number, number],
    componentOf: Map<number, string>,
    requests: number,
): Record<string, string> {
    const out: Record<string, { text: string; us: number }> = {};
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
        const { pid, profile, sampledUs: us } = readProfileWithin(path.join(dir, file), window);
        const component = componentOf.get(pid) ?? `pid ${pid}`;
        if (out[component] && out[component].us >= us) continue;
        const text = `${(us / 1000 / requests).toFixed(3)} ms sampled per request (main thread)\n${summarizeProfile(profile, 8)}`;
        out[component] = { text, us };
    }
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.text]));
}

export async function benchScale(options: {
    requests: number;
    concurrency: number;
    seconds: number;
    profile?: boolean;
}) {
    const { requests, concurrency } = options;
    const say = (line: string) => console.log(line);
    const redis = await startPrivateRedis();
    const redisPort = Number(new URL(redis.url).port);
    try {
        say(`raw BullMQ, concurrency ${concurrency}…`);
        const rawBullmq = await benchRawQueue(concurrency, { jobs: 3000, samples: 100, redisUrl: redis.url });
        const redisPids = [redisPid(redisPort)].filter((p): p is number => p !== null);

        say('in-process devnet…');
        const inProcess = await startDevnet({ ...MODELS, ...FUNDS, port: 0, logLevel: 'silent', redisUrl: redis.url });
        let inProcessFigures: ScaleResults['inProcess'];
        try {
            await runLevel(inProcess, concurrency, Math.min(100, requests)); // warm-up
            // The client's signing happens before the clock starts: it is not the network's cost.
            const bodies = await signedBodies(inProcess, requests);
            let closedLoop!: HttpBenchRow;
            const cpu = await cpuPerRequest({ redis: redisPids }, requests, async () => {
                closedLoop = await runLevel(inProcess, concurrency, requests, bodies);
            });
            // In one process: the client's share is everything of this process (proxy, workers, chain included).
            cpu['client + proxy + workers + chain (one process)'] = cpu.client;
            delete cpu.client;
            inProcessFigures = { closedLoop, chat: await chatFigures(inProcess, 2), cpuMsPerRequest: cpu };
        } finally {
            await inProcess.stop();
        }
        say(formatHttpBench([inProcessFigures.closedLoop]));

        say('devnet as processes (1 proxy, 2 workers per model)…');
        const profileDir = options.profile
            ? mkdtempSync(path.join(os.tmpdir(), 'chrysalis-scale-profile-'))
            : undefined;
        const window: [number, number] = [0, 0];
        const componentOf = new Map<number, string>();
        const processes = await startProcessDevnet({
            ...MODELS,
            ...FUNDS,
            redisUrl: redis.url,
            onStep: say,
            cpuProfileDir: profileDir,
            // The benchmark's clients are its own (signed requests, chat streams): no gateway process beside them.
            gateway: false,
        });
        let processFigures: ScaleResults['processes'];
        try {
            const target = await processTarget(processes);
            await runLevel(target, concurrency, Math.min(100, requests)); // warm-up
            const pid = (name: string) => processes.children.get(name)!.pid;
            const workers = processes.workerNames();
            const components: Components = {
                proxy: [pid('proxy')],
                'tiny-mlp workers (2)': workers.filter((n) => n.endsWith('tiny-mlp')).map(pid),
                'chat workers (idle)': workers.filter((n) => n.endsWith('chat-think')).map(pid),
                chain: [pid('chain')],
                redis: redisPids,
            };
            const bodies = await signedBodies(target, requests);
            let closedLoop!: HttpBenchRow;
            const cpu = await cpuPerRequest(components, requests, async () => {
                window[0] = monotonicUs();
                closedLoop = await runLevel(target, concurrency, requests, bodies);
                window[1] = monotonicUs();
            });
            for (const [name, pids] of Object.entries(components)) for (const p of pids) componentOf.set(p, name);
            await new Promise((r) => setTimeout(r, 500));
            const rate = Math.max(1, Math.round(closedLoop.requestsPerSecond / 2));
            const halfRate = await runFixedRate(target, rate, options.seconds);
            processFigures = { closedLoop, halfRate, chat: await chatFigures(target, 2), cpuMsPerRequest: cpu };
        } finally {
            await processes.stop();
        }
        say(formatHttpBench([processFigures.closedLoop]));
        say(formatFixedRate([processFigures.halfRate]));
        if (profileDir) {
            processFigures.profiles = profilesOver(profileDir, window, componentOf, requests);
            rmSync(profileDir, { recursive: true, force: true });
        }

        const share = (r: HttpBenchRow) => round(r.requestsPerSecond / rawBullmq.jobsPerSecond, 4);
        const fortyRate = SCALE_TARGETS.stretchShareOfRaw * rawBullmq.jobsPerSecond;
        const results: ScaleResults = {
            date: new Date().toISOString(),
            machine: {
                cpus: os.cpus().length,
                cpuModel: os.cpus()[0]?.model ?? '',
                node: process.version,
                loadAverage: os.loadavg().map((l) => round(l)),
            },
            concurrency,
            requests,
            rawBullmq,
            inProcess: inProcessFigures,
            processes: processFigures,
            shareOfRaw: {
                inProcess: share(inProcessFigures.closedLoop),
                processes: share(processFigures.closedLoop),
                target: SCALE_TARGETS.shareOfRaw,
                met: share(processFigures.closedLoop) >= SCALE_TARGETS.shareOfRaw,
            },
            halfRateTarget: {
                p99Ms: processFigures.halfRate.p99Ms,
                keptUp: processFigures.halfRate.keptUp,
                met: processFigures.halfRate.keptUp && processFigures.halfRate.p99Ms <= SCALE_TARGETS.p99MsAtHalfRate,
            },
            fortyPercent: {
                requestsPerSecond: round(fortyRate, 1),
                cpuMsPerRequestAllowed: round((os.cpus().length * 1000) / fortyRate, 3),
                cpuMsPerRequestNow: processFigures.cpuMsPerRequest.total,
            },
        };
        return results;
    } finally {
        await redis.stop();
    }
}

export function formatScale(r: ScaleResults): string {
    const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
    const cpu = (c: Record<string, number>) =>
        Object.entries(c)
            .map(([k, v]) => `    ${k.padEnd(48)} ${v.toFixed(3)} ms`)
            .join('\n');
    return [
        `bench:scale on ${r.machine.cpus} cores (${r.machine.cpuModel}), load average ${r.machine.loadAverage.join(' ')}`,
        `raw BullMQ, concurrency ${r.concurrency}: ${r.rawBullmq.jobsPerSecond.toFixed(0)} jobs/s`,
        `tiny MLP end to end, concurrency ${r.concurrency}, ${r.requests} requests:`,
        `  in-process: ${r.inProcess.closedLoop.requestsPerSecond.toFixed(1)} req/s (${pct(r.shareOfRaw.inProcess)} of raw), ` +
            `p50 ${r.inProcess.closedLoop.p50Ms.toFixed(2)} ms, p99 ${r.inProcess.closedLoop.p99Ms.toFixed(2)} ms`,
        `  processes:  ${r.processes.closedLoop.requestsPerSecond.toFixed(1)} req/s (${pct(r.shareOfRaw.processes)} of raw; ` +
            `target ≥ ${pct(r.shareOfRaw.target)}: ${r.shareOfRaw.met ? 'met' : 'NOT met'}), ` +
            `p50 ${r.processes.closedLoop.p50Ms.toFixed(2)} ms, p99 ${r.processes.closedLoop.p99Ms.toFixed(2)} ms`,
        `  processes at half that rate (${r.processes.halfRate.offeredPerSecond}/s, open loop): p99 ` +
            `${r.processes.halfRate.p99Ms} ms, kept up: ${r.processes.halfRate.keptUp ? 'yes' : 'no'} (target p99 ≤ ` +
            `${SCALE_TARGETS.p99MsAtHalfRate} ms: ${r.halfRateTarget.met ? 'met' : 'NOT met'})`,
        `chat (chat-think), ${CHAT_STREAMS} streams: in-process ${r.inProcess.chat.tokensPerSecond} tokens/s, ` +
            `processes ${r.processes.chat.tokensPerSecond} tokens/s`,
        `CPU per request, in-process:\n${cpu(r.inProcess.cpuMsPerRequest)}`,
        `CPU per request, processes:\n${cpu(r.processes.cpuMsPerRequest)}`,
        ...Object.entries(r.processes.profiles ?? {}).map(([k, v]) => `profile of ${k}: ${v}`),
        `40 % of raw BullMQ = ${r.fortyPercent.requestsPerSecond} req/s: at most ${r.fortyPercent.cpuMsPerRequestAllowed} ms ` +
            `of CPU per request on ${r.machine.cpus} cores (now ${r.fortyPercent.cpuMsPerRequestNow} ms)`,
    ].join('\n');
}

if (require.main === module) {
    const { values } = parseArgs({
        options: {
            requests: { type: 'string', default: '600' },
            concurrency: { type: 'string', default: '16' },
            seconds: { type: 'string', default: '5' },
            // V8 profiles of every process (slows them a little: measure without, profile in a second run)
            profile: { type: 'boolean', default: false },
            out: { type: 'string', default: path.resolve(__dirname, '..', '..', 'bench', 'scale.json') },
        },
    });
    benchScale({
        requests: Number(values.requests),
        concurrency: Number(values.concurrency),
        seconds: Number(values.seconds),
        profile: values.profile,
    }).then(
        (r) => {
            console.log('\n' + formatScale(r));
            writeFileSync(values.out!, JSON.stringify(r, null, 2) + '\n');
            console.log(`\nwritten to ${values.out}`);
            process.exit(0);
        },
        (err) => {
            console.error(err);
            process.exit(1);
        },
    );
}
