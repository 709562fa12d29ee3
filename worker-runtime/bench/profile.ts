/**
 * CPU profile of the end-to-end path in steady state: starts the benchmark's devnet (bench/http.ts), warms it up,
 * then records the main thread with the inspector while signed requests flow, and writes a .cpuprofile (open it in
 * Chrome DevTools or speedscope) plus a summary of self and inclusive time. Startup and deployment are left out, so
 * the figures are the per-request costs only. The inference threads are not in it (their cost is bench/inference.ts).
 *
 *   npx tsx worker-runtime/bench/profile.ts [--requests 2000] [--concurrency 16] [--out /tmp/e2e.cpuprofile]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { benchDevnet, runLevel, signedBodies } from './http';

interface ProfileNode {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
}
export interface CpuProfile {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
}

const TICK_MS = 1000 / 100; // USER_HZ: /proc's clock ticks

/** CPU milliseconds (user + system) a process has used, all its threads included; 0 when it is gone. */
export function cpuMsOf(pid: number): number {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
        return 0;
    }
}

/** User and system CPU milliseconds a process has used (system: the kernel's share, e.g. socket reads and writes). */
export function cpuSplitOf(pid: number): { user: number; system: number } {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS };
    } catch {
        return { user: 0, system: 0 };
    }
}

/** CPU milliseconds of each thread of a process, summed by thread name (/proc/<pid>/task/<tid>/comm). */
export function cpuMsByThread(pid: number): Map<string, number> {
    const out = new Map<string, number>();
    let tids: string[] = [];
    try {
        tids = readdirSync(`/proc/${pid}/task`);
    } catch {
        return out;
    }
    for (const tid of tids) {
        try {
            const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
            const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
            const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
            // The main thread is the one whose id is the process's.
            const key = tid === String(pid) ? `${name} (main)` : name;
            out.set(key, (out.get(key) ?? 0) + ms);
        } catch {
            // the thread ended meanwhile
        }
    }
    return out;
}

/**
 * A process's `--cpu-prof` file (Node names it CPU.<date>.<time>.<pid>.<n>.cpuprofile) cut to the samples taken
 * within `window` (µs, the profiles' clock), with its pid and the sampled time in that window.
 */
export function readProfileWithin(
    file: string,
    window: [number, number],
): { pid: number; profile: CpuProfile; sampledUs: number } {
    const pid = Number(file.split('/').pop()!.split('.')[3]);
    const whole = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile & { startTime: number };
    const samples: number[] = [];
    const timeDeltas: number[] = [];
    let t = whole.startTime;
    whole.samples.forEach((id, i) => {
        t += whole.timeDeltas[i] ?? 0;
        if (t >= window[0] && t <= window[1]) {
            samples.push(id);
            timeDeltas.push(whole.timeDeltas[i] ?? 0);
        }
    });
    const sampledUs = timeDeltas.reduce((a, b) => a + b, 0);
    return { pid, profile: { ...whole, samples, timeDeltas }, sampledUs };
}

/** Self and inclusive milliseconds per function, and self per package or source file. */
export function summarizeProfile(profile: CpuProfile, top = 30): string {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
    const name = (n: ProfileNode) => {
        const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?worker-runtime\//, '');
        return `${n.callFrame.functionName || '(anonymous)'} ${url}${url ? ':' + (n.callFrame.lineNumber + 1) : ''}`;
    };
    const area = (n: ProfileNode) => {
        const url = n.callFrame.url;
        const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
        if (pkg) return pkg[1];
        if (url.includes('worker-runtime/')) return url.replace(/^.*worker-runtime\//, '');
        return url || n.callFrame.functionName;
    };
    const self = new Map<string, number>();
    const inclusive = new Map<string, number>();
    const areas = new Map<string, number>();
    for (const [id, us] of selfUs) {
        const node = byId.get(id)!;
        self.set(name(node), (self.get(name(node)) ?? 0) + us);
        areas.set(area(node), (areas.get(area(node)) ?? 0) + us);
        const seen = new Set<string>();
        for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
            const key = name(byId.get(cur)!);
            if (seen.has(key)) continue;
            seen.add(key);
            inclusive.set(key, (inclusive.get(key) ?? 0) + us);
        }
    }
    const table = (title: string, m: Map<string, number>) => [
        title,
        ...[...m]
            .sort((a, b) => b[1] - a[1])
            .slice(0, top)
            .map(
                ([k, us]) =>
                    `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`,
            ),
    ];
    return [
        `sampled ${(total / 1000).toFixed(0)} ms`,
        ...table('self time by package / file:', areas),
        ...table('self time by function:', self),
        ...table('inclusive time by function:', inclusive),
    ].join('\n');
}

if (require.main === module) {
    const { values } = parseArgs({
        options: {
            requests: { type: 'string', default: '2000' },
            concurrency: { type: 'string', default: '16' },
            out: { type: 'string', default: '/tmp/e2e.cpuprofile' },
        },
    });
    (async () => {
        const devnet = await benchDevnet();
        try {
            await runLevel(devnet, 4, 200);
            const session = new Session();
            session.connect();
            await session.post('Profiler.enable');
            await session.post('Profiler.setSamplingInterval', { interval: 200 });
            // The client's signing happens before the profile starts: it is not the network's cost.
            const bodies = await signedBodies(devnet, Number(values.requests));
            await session.post('Profiler.start');
            const row = await runLevel(devnet, Number(values.concurrency), Number(values.requests), bodies);
            const { profile } = await session.post('Profiler.stop');
            session.disconnect();
            writeFileSync(values.out!, JSON.stringify(profile));
            console.log(
                `concurrency ${row.concurrency}: ${row.requestsPerSecond.toFixed(0)} req/s, p50 ${row.p50Ms.toFixed(2)} ms, ` +
                    `p99 ${row.p99Ms.toFixed(2)} ms, ${row.failures} failures (profiling slows it down)`,
            );
            console.log(summarizeProfile(profile as CpuProfile, 35));
            console.log(`\nwrote ${values.out}`);
        } finally {
            await devnet.stop();
        }
    })()
        .then(() => process.exit(0))
        .catch((err) => {
            console.error(err);
            process.exit(1);
        });
}
