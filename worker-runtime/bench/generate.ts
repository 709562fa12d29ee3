/**
 * `npm run bench:generate [-- --model <dir> | --make-model] [--max-tokens 128] [--requests 8] [--rounds 4] [--warm-up 128]
 *  [--out bench/generate-results.json]`
 *
 * The chat engine in a worker thread on its own ("raw") against the whole network (HTTP → proxy → sealed job →
 * worker → sealed chunk stream on Redis → proxy → SSE), at 1 and 4 concurrent streams, on the tiny chat model and on
 * any real folder given with `--model`: tokens/s while every stream is busy (chatStreams.ts), time to first token (and
 * what the network adds to it, p50/p99), per-token overhead, CPU time per token (the whole process, and its main
 * thread: proxy, worker, client and sandbox chain share it in the network half, the engine has a thread of its own),
 * and the resident memory the served model costs. Greedy decoding, the same prompts on both sides, so both generate
 * the same tokens, in two request mixes (MIXES: lengths spread, and all the same). The two sides take turns
 * (`--rounds`, each `--requests` per stream) with both alive, and the figures are over all rounds, with each round's
 * share printed too: this machine's speed drifts within minutes, and a side measured only after the other would carry
 * the drift. Prints a table and writes the figures to the results file. Never a timed test.
 *
 * `--make-model` writes a larger random fp32 chat folder (`benchChatFolder`: llama layout, 94 MB graph) to a temporary
 * directory and benchmarks it like `--model` (nothing is downloaded; the folder is removed afterwards).
 *
 * Memory: resident set of the process before the engine, once it is loaded and warm, and after the raw warm-up
 * (serving, prefix cache filled). A served model's cost "beyond an idle worker" is its serving growth less the tiny
 * model's: the engine thread, ONNX Runtime and the tokenizer cost the same ≈ 50 MB whatever the model (that is the
 * idle worker's generative runtime); the target is at most the folder's size + 50 MB.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startDevnet } from '../src/devnet/orchestrator';
import { generatedPackagePath } from '../src/inference/catalog';
import { ChatEngine } from '../src/inference/generative/engines';
import { cpuMsByThread } from './profile';
import { benchChatFolder } from '../scripts/generative/folders';
import { LaneBatch, lanes, messagesFor, round, Run, runLanes, streamChat, summarizeBatches } from './chatStreams';

function folderBytes(dir: string): number {
    let n = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        n += e.isDirectory() ? folderBytes(p) : statSync(p).size;
    }
    return n;
}

/** A batch with the CPU time its main thread used (the rest went to the engine thread, V8's and libuv's helpers). */
type ThreadedBatch = LaneBatch & { mainCpuMs: number };
const mainThreadCpuMs = () => cpuMsByThread(process.pid).get('node (main)') ?? 0;

async function onMainThread(run: () => Promise<LaneBatch>): Promise<ThreadedBatch> {
    const before = mainThreadCpuMs();
    const batch = await run();
    return { ...batch, mainCpuMs: mainThreadCpuMs() - before };
}

const rssMb = () => round(process.memoryUsage().rss / 2 ** 20, 1);

/** Prompt indices of the warm-up requests: apart from the measured ones (0 … requests × streams). */
const WARM_UP_BASE = 100_000;
const STREAMS = [1, 4];

/**
 * The two request mixes, each measured on both sides (the same requests, so the same tokens). `spread`: request i asks
 * for a max_tokens spread over [mean / 2, 3 mean / 2] (mean `--max-tokens`), as chats differ in length. `same`: every
 * request asks for the mean; then the lanes of a closed loop lock into step (they end together and start again
 * together), which the network's latency per request breaks, leaving the engine idle while four new requests make
 * their way to it. Neither is neutral: the engine alone runs four streams in step 15–29 % faster than four of mixed
 * lengths (ONNX Runtime reuses its memory plan when consecutive runs have the same shapes), which flatters the
 * network's share in `spread` (docs/inference.md, "Sixth round").
 */
const MIXES = ['spread', 'same'] as const;
type Mix = (typeof MIXES)[number];

function requestLength(mix: Mix, mean: number, i: number): number {
    return mix === 'same' ? mean : Math.floor(mean / 2) + (Math.abs(i * 61) % (mean + 1));
}

async function benchModel(
    dir: string,
    name: string,
    maxTokens: number,
    requests: number,
    warmUp: number,
    rounds: number,
) {
    // Raw: the engine alone (its own worker thread), memory measured around its creation.
    global.gc?.();
    const rssBefore = rssMb();
    const engine = await ChatEngine.create(dir, { registry: null });
    await engine.generate({ messages: messagesFor(-1), maxTokens: 4 }); // warm-up
    const rssLoaded = rssMb();
    const rawOne = async (mix: Mix, i: number) => {
        const t0 = performance.now();
        const tokenAt: number[] = [];
        const maxTokensOf = requestLength(mix, maxTokens, i);
        const r = await engine.generate({ messages: messagesFor(i), maxTokens: maxTokensOf, temperature: 0 }, () => {
            tokenAt.push(performance.now());
        });
        const end = performance.now();
        return { ttftMs: tokenAt[0] - t0, totalMs: end - t0, tokens: r.completionTokenIds.length, tokenAt };
    };
    // Warm-up at 4 streams, the same on both sides: the figures are of code V8 has finished optimising (a server's
    // steady state), not of its JIT at work (docs/inference.md, fourth round).
    await lanes(4, warmUp, (k) => rawOne('spread', WARM_UP_BASE + k));
    const rssServing = rssMb();

    // The network: the same requests through a devnet serving this folder on one worker.
    const devnet = await startDevnet({
        workers: 1,
        models: ['tiny-mlp'],
        extraPackages: [{ name, path: dir, kind: 'chat' }],
        port: 0,
        logLevel: 'silent',
        // Usage is committed nowhere during the run: a stake and a deposit that cover all of it.
        clientStake: 1_000_000_000_000n,
        clientDeposit: 1_000_000_000_000n,
        clientFunding: 3_000_000_000_000n,
    });
    // Per concurrency, each side's batches: raw and network take turns, round after round, so that a machine whose
    // speed drifts (this one's varies within minutes) slows both sides alike instead of whichever ran second.
    const batches = new Map<string, ThreadedBatch[]>();
    const add = (key: string, b: ThreadedBatch) => batches.set(key, [...(batches.get(key) ?? []), b]);
    try {
        for (const w of devnet.workers) {
            for (let i = 0; i < 200 && w.role.currentState !== 'consuming'; i++)
                await new Promise((r) => setTimeout(r, 50));
        }
        const model = devnet.network.models.find((m) => m.name === name)!.hashHex;
        const who = {
            account: devnet.network.client.account.address.toString(),
            secretKey: devnet.network.client.keyPair.secretKey,
        };
        // Over the devnet client's RA-TLS channel (verified once per connection, kept alive).
        const one = (mix: Mix, i: number) => streamChat(devnet.client, model, who, i, requestLength(mix, maxTokens, i));
        await one('spread', -1); // warm-up
        await lanes(4, warmUp, (k) => one('spread', WARM_UP_BASE + k));
        let base = 0;
        for (let round = 0; round < rounds; round++) {
            for (const mix of MIXES) {
                for (const streams of STREAMS) {
                    // Both sides get the same prompts (so the same tokens); each turn new ones.
                    const first = base;
                    base += requests * streams;
                    const turn = (f: (mix: Mix, i: number) => Promise<Run>) =>
                        onMainThread(() => runLanes(streams, requests * streams, (k) => f(mix, first + k)));
                    add(`raw/${mix}/${streams}`, await turn(rawOne));
                    add(`network/${mix}/${streams}`, await turn(one));
                }
            }
        }
    } finally {
        await devnet.stop();
        await engine.close();
    }
    const figures = (key: string) => {
        const all = batches.get(key)!;
        const tokens = all.reduce((n, b) => n + b.runs.reduce((m, r) => m + r.tokens, 0), 0);
        const mainCpuMs = all.reduce((n, b) => n + b.mainCpuMs, 0);
        return { ...summarizeBatches(all), mainThreadCpuMsPerToken: round(mainCpuMs / Math.max(1, tokens), 3) };
    };
    const cases = MIXES.flatMap((mix) => STREAMS.map((streams) => ({ mix, streams })));
    const raw = cases.map(({ mix, streams }) => ({ mix, ...figures(`raw/${mix}/${streams}`) }));
    const network = cases.map(({ mix, streams }) => ({ mix, ...figures(`network/${mix}/${streams}`) }));
    const comparison = cases.map(({ mix, streams }, i) => {
        const [r, n] = [raw[i], network[i]];
        // Each turn's share on its own: how much the figure moves on this machine within one run.
        const turns = batches.get(`network/${mix}/${streams}`)!.map((b, k) => {
            const rawTurn = batches.get(`raw/${mix}/${streams}`)![k];
            return round(summarizeBatches([b]).tokensPerSecond / summarizeBatches([rawTurn]).tokensPerSecond, 3);
        });
        return {
            mix,
            streams,
            rawTokensPerSecond: r.tokensPerSecond,
            networkTokensPerSecond: n.tokensPerSecond,
            networkShareOfRaw: round(n.tokensPerSecond / r.tokensPerSecond, 3),
            addedTtftP50Ms: round(n.ttftP50Ms - r.ttftP50Ms),
            addedTtftP99Ms: round(n.ttftP99Ms - r.ttftP99Ms),
            perTokenOverheadMs: round(n.msPerToken - r.msPerToken, 3),
            perTokenCpuOverheadMs: round(n.cpuMsPerToken - r.cpuMsPerToken, 3),
            cpuMsPerToken: { raw: r.cpuMsPerToken, network: n.cpuMsPerToken },
            mainThreadCpuMsPerToken: { raw: r.mainThreadCpuMsPerToken, network: n.mainThreadCpuMsPerToken },
            roundShares: turns,
        };
    });
    return {
        model: name,
        dir,
        modelBytes: folderBytes(dir),
        maxTokens,
        mixes: { spread: 'max_tokens spread over [max / 2, 3 max / 2]', same: 'max_tokens = max for every request' },
        warmUpRequests: warmUp,
        rounds,
        raw,
        network,
        comparison,
        memory: {
            rssBeforeEngineMb: rssBefore,
            rssLoadedMb: rssLoaded,
            rssServingMb: rssServing,
            loadedMb: round(rssLoaded - rssBefore, 1),
            servingMb: round(rssServing - rssBefore, 1),
        },
    };
}

async function main() {
    const { values } = parseArgs({
        options: {
            model: { type: 'string' },
            'make-model': { type: 'boolean', default: false },
            'max-tokens': { type: 'string', default: '128' },
            requests: { type: 'string', default: '8' },
            // Requests (at 4 streams) run and discarded before each side's measurements.
            'warm-up': { type: 'string', default: '128' },
            // Raw and network take turns this many times (`--requests` per stream each turn).
            rounds: { type: 'string', default: '4' },
            out: { type: 'string', default: path.resolve(__dirname, '..', '..', 'bench', 'generate-results.json') },
        },
    });
    const maxTokens = Number(values['max-tokens']);
    const requests = Number(values.requests);
    const warmUp = Number(values['warm-up']);
    const rounds = Number(values.rounds);
    const targets = [{ name: 'chat-llama', dir: generatedPackagePath('chat-llama') }];
    let made: string | undefined;
    if (values['make-model']) {
        made = mkdtempSync(path.join(os.tmpdir(), 'chrysalis-bench-'));
        const dir = path.join(made, 'chat-bench-94mb');
        for (const [rel, bytes] of Object.entries(benchChatFolder())) {
            mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
            writeFileSync(path.join(dir, rel), bytes);
        }
        targets.push({ name: 'chat-bench-94mb', dir });
    }
    if (values.model)
        targets.push({ name: path.basename(path.resolve(values.model)), dir: path.resolve(values.model) });
    const results: (Awaited<ReturnType<typeof benchModel>> & { memory: Record<string, unknown> })[] = [];
    for (const t of targets) {
        console.log(`benchmarking ${t.name} (${t.dir})…`);
        const r = await benchModel(t.dir, t.name, maxTokens, requests, warmUp, rounds);
        const idle: number | undefined = results[0]?.memory.servingMb;
        const modelMb = round(r.modelBytes / 2 ** 20, 1);
        const beyondIdle: number | undefined = idle === undefined ? undefined : round(r.memory.servingMb - idle, 1);
        results.push({
            ...r,
            memory: {
                ...r.memory,
                ...(beyondIdle === undefined
                    ? {}
                    : {
                          beyondIdleEngineMb: beyondIdle,
                          budgetMb: round(modelMb + 50, 1),
                          withinBudget: beyondIdle <= modelMb + 50,
                      }),
            },
        });
        console.log(
            `\n${r.model}: ${modelMb} MB on disk, engine RSS +${r.memory.loadedMb} MB loaded, +${r.memory.servingMb} MB serving` +
                (beyondIdle === undefined
                    ? ''
                    : ` (${beyondIdle} MB beyond the tiny model's engine; budget ${round(modelMb + 50, 1)} MB)`),
        );
        console.log(
            'mix     streams  raw tok/s  network tok/s  share  added TTFT p50/p99 ms  per-token overhead ms  CPU ms/token raw → network (main thread)  share by round',
        );
        for (const c of r.comparison) {
            const cpu = `${c.cpuMsPerToken.raw} (${c.mainThreadCpuMsPerToken.raw}) → ${c.cpuMsPerToken.network} (${c.mainThreadCpuMsPerToken.network})`;
            console.log(
                `${c.mix.padEnd(6)}  ${String(c.streams).padStart(7)}  ${String(c.rawTokensPerSecond).padStart(9)}  ${String(c.networkTokensPerSecond).padStart(13)}  ` +
                    `${(c.networkShareOfRaw * 100).toFixed(1).padStart(4)}%  ${`${c.addedTtftP50Ms} / ${c.addedTtftP99Ms}`.padStart(20)}  ${String(c.perTokenOverheadMs).padStart(21)}` +
                    `  ${cpu.padEnd(43)}` +
                    c.roundShares.map((v) => `${(v * 100).toFixed(1)}%`).join(' '),
            );
        }
    }
    const out = {
        date: new Date().toISOString(),
        machine: {
            cpus: os.cpus().length,
            cpuModel: os.cpus()[0]?.model ?? '',
            node: process.version,
            platform: `${os.platform()} ${os.arch()}`,
        },
        results,
    };
    writeFileSync(values.out!, JSON.stringify(out, null, 2) + '\n');
    if (made) rmSync(made, { recursive: true, force: true });
    console.log(`\nwritten to ${values.out}`);
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
