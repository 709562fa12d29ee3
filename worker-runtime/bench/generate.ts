/**
 * `npm run bench:generate [-- --model <dir>] [--max-tokens 128] [--requests 8] [--out bench/generate-results.json]`
 *
 * The chat engine in a worker thread on its own ("raw") against the whole network (HTTP → proxy → sealed job →
 * worker → sealed chunk stream on Redis → proxy → SSE), at 1 and 4 concurrent streams, on the tiny chat model and on
 * any real folder given with `--model`: tokens/s, time to first token (and what the network adds to it, p50/p99),
 * per-token overhead, and the resident memory the served model costs. Greedy decoding, the same prompts on both sides,
 * so both generate the same tokens. Prints a table and writes the figures to the results file. Never a timed test.
 */
import { writeFileSync, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { lanes, messagesFor, round, streamChat } from './chatStreams';
import type { Figures } from './chatStreams';
import { startDevnet } from '../src/devnet/orchestrator';
import { generatedPackagePath } from '../src/inference/catalog';
import { ChatEngine } from '../src/inference/generative/engines';

function folderBytes(dir: string): number {
    let n = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        n += e.isDirectory() ? folderBytes(p) : statSync(p).size;
    }
    return n;
}

const rssMb = () => round(process.memoryUsage().rss / 2 ** 20, 1);

async function benchModel(dir: string, name: string, maxTokens: number, requests: number) {
    // Raw: the engine alone (its own worker thread), memory measured around its creation.
    global.gc?.();
    const rssBefore = rssMb();
    const engine = await ChatEngine.create(dir, { registry: null });
    await engine.generate({ messages: messagesFor(-1), maxTokens: 4 }); // warm-up
    const rssAfter = rssMb();
    const raw: Figures[] = [];
    for (const streams of [1, 4]) {
        raw.push(
            await lanes(streams, requests * streams, async (i) => {
                const t0 = performance.now();
                let first = 0;
                const r = await engine.generate({ messages: messagesFor(i), maxTokens, temperature: 0 }, () => {
                    if (!first) first = performance.now();
                });
                const end = performance.now();
                return { ttftMs: first - t0, totalMs: end - t0, tokens: r.completionTokenIds.length };
            }),
        );
    }
    await engine.close();

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
    const network: Figures[] = [];
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
        const one = (i: number) => streamChat(devnet.proxyUrl, model, who, i, maxTokens);
        await one(-1); // warm-up
        for (const streams of [1, 4]) network.push(await lanes(streams, requests * streams, one));
    } finally {
        await devnet.stop();
    }
    const comparison = raw.map((r, i) => {
        const n = network[i];
        return {
            streams: r.streams,
            rawTokensPerSecond: r.tokensPerSecond,
            networkTokensPerSecond: n.tokensPerSecond,
            networkShareOfRaw: round(n.tokensPerSecond / r.tokensPerSecond, 3),
            addedTtftP50Ms: round(n.ttftP50Ms - r.ttftP50Ms),
            addedTtftP99Ms: round(n.ttftP99Ms - r.ttftP99Ms),
            perTokenOverheadMs: round(n.msPerToken - r.msPerToken, 3),
        };
    });
    return {
        model: name,
        dir,
        modelBytes: folderBytes(dir),
        maxTokens,
        raw,
        network,
        comparison,
        memory: { rssBeforeEngineMb: rssBefore, rssWithEngineMb: rssAfter, engineMb: round(rssAfter - rssBefore, 1) },
    };
}

async function main() {
    const { values } = parseArgs({
        options: {
            model: { type: 'string' },
            'max-tokens': { type: 'string', default: '128' },
            requests: { type: 'string', default: '8' },
            out: { type: 'string', default: path.resolve(__dirname, '..', '..', 'bench', 'generate-results.json') },
        },
    });
    const maxTokens = Number(values['max-tokens']);
    const requests = Number(values.requests);
    const targets = [{ name: 'chat-llama', dir: generatedPackagePath('chat-llama') }];
    if (values.model)
        targets.push({ name: path.basename(path.resolve(values.model)), dir: path.resolve(values.model) });
    const results = [];
    for (const t of targets) {
        console.log(`benchmarking ${t.name} (${t.dir})…`);
        const r = await benchModel(t.dir, t.name, maxTokens, requests);
        results.push(r);
        console.log(
            `\n${r.model}: ${(r.modelBytes / 2 ** 20).toFixed(1)} MB on disk, engine RSS +${r.memory.engineMb} MB`,
        );
        console.log('streams  raw tok/s  network tok/s  share  added TTFT p50/p99 ms  per-token overhead ms');
        for (const c of r.comparison) {
            console.log(
                `${String(c.streams).padStart(7)}  ${String(c.rawTokensPerSecond).padStart(9)}  ${String(c.networkTokensPerSecond).padStart(13)}  ` +
                    `${(c.networkShareOfRaw * 100).toFixed(1).padStart(4)}%  ${`${c.addedTtftP50Ms} / ${c.addedTtftP99Ms}`.padStart(20)}  ${String(c.perTokenOverheadMs).padStart(21)}`,
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
    console.log(`\nwritten to ${values.out}`);
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
