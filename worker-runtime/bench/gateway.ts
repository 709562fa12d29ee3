/**
 * Gateway benchmark (`npm run bench:gateway`): what the OpenAI-compatible gateway adds over calling the proxy
 * directly, on a devnet (sandbox chain, one worker serving the tiny chat folder, Redis), keep-alive everywhere.
 *
 *   npx tsx worker-runtime/bench/gateway.ts [--pairs 200] [--streams 10]
 *
 * - latency: interleaved requests of 1 token, three ways — a signed `POST /v1/generate` with fetch (no checks),
 *   the SDK's `generate` (signing, receipt and voucher checks), and `POST /v1/chat/completions` at the gateway;
 *   p50/p99 of each and the p50 of the per-pair difference gateway − raw proxy (the gateway's added latency).
 * - streaming: tokens/s of a streamed generation of half the model's context, through the gateway vs directly.
 * Prints a table and writes bench/gateway.json. A benchmark, never a timed test.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readSse, signedGenerativeRequest } from '../src/client/generative';
import { startDevnet } from '../src/devnet/orchestrator';
import { createGateway } from '../src/gateway';

const { values } = parseArgs({
    options: { pairs: { type: 'string', default: '200' }, streams: { type: 'string', default: '10' } },
});
const PAIRS = Number(values.pairs);
const STREAMS = Number(values.streams);
const messages = [{ role: 'user', content: 'Say something about TON.' }];

const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x: number) => Math.round(x * 1000) / 1000;

async function main() {
    const devnet = await startDevnet({
        workers: 1,
        models: ['tiny-mlp'],
        generative: ['chat-think'],
        logLevel: 'silent',
    });
    try {
        for (const w of devnet.workers) {
            for (let i = 0; i < 100 && w.role.currentState !== 'consuming'; i++)
                await new Promise((r) => setTimeout(r, 100));
        }
        const gateway = await createGateway({ clients: [devnet.client], port: 0 });
        const model = devnet.network.models.find((m) => m.name === 'chat-think')!;
        const catalog = await devnet.client.catalog();
        const context = catalog.find((m) => m.hash === model.hashHex)!.contextLength!;
        const account = devnet.network.client.account.address.toString();
        const secretKey = devnet.network.client.keyPair.secretKey;

        const raw = async (inputs: Record<string, unknown>) => {
            const body = signedGenerativeRequest({ model: model.hashHex, inputs, account, secretKey });
            // The proxy directly, over the same RA-TLS channel the gateway uses.
            const res = await devnet.client.proxy.send({ method: 'POST', path: '/v1/generate', body });
            return res;
        };
        const viaGateway = (inputs: Record<string, unknown>) =>
            fetch(`${gateway.url}/chat/completions`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ model: 'chat-think', ...inputs }),
            });
        const time = async (f: () => Promise<unknown>) => {
            const t0 = performance.now();
            await f();
            return performance.now() - t0;
        };

        // Latency, 1 token, interleaved (warm-up first).
        const one = { messages, max_tokens: 1, seed: 1 };
        for (let i = 0; i < 20; i++) {
            await (await raw(one)).json();
            await (await viaGateway(one)).json();
        }
        const rawMs: number[] = [];
        const sdkMs: number[] = [];
        const gwMs: number[] = [];
        const diff: number[] = [];
        // The order rotates, so that no path always follows another (the proxy finishes a request's bookkeeping
        // after answering it, which the next request can feel).
        for (let i = 0; i < PAIRS; i++) {
            const runs: Array<() => Promise<void>> = [
                async () => void rawMs.push(await time(async () => (await raw(one)).json())),
                async () => void sdkMs.push(await time(() => devnet.client.generate(model.hashHex, one))),
                async () => void gwMs.push(await time(async () => (await viaGateway(one)).json())),
            ];
            for (let k = 0; k < 3; k++) await runs[(i + k) % 3]();
            diff.push(gwMs[i] - rawMs[i]);
        }
        // The gateway's own hop: GET /v1/models answered from its cached catalogue (HTTP in and out, no proxy call).
        const hopMs: number[] = [];
        for (let i = 0; i < PAIRS; i++)
            hopMs.push(await time(async () => (await fetch(`${gateway.url}/models`)).json()));

        // Streaming tokens/s.
        const long = { messages, max_tokens: Math.floor(context / 2), seed: 2, temperature: 0.8 };
        const rawTps: number[] = [];
        const gwTps: number[] = [];
        for (let i = 0; i < STREAMS; i++) {
            let t0 = performance.now();
            let tokens = 0;
            for await (const e of readSse((await raw({ ...long, stream: true })).body!)) {
                if (e.event === 'delta') tokens += (e.data as { tokenIds: number[] }).tokenIds.length;
            }
            rawTps.push(tokens / ((performance.now() - t0) / 1000));
            t0 = performance.now();
            let usage = 0;
            const res = await viaGateway({ ...long, stream: true, stream_options: { include_usage: true } });
            const text = await res.text();
            for (const line of text.split('\n\n')) {
                if (!line.startsWith('data: {')) continue;
                const chunk = JSON.parse(line.slice(6)) as { usage?: { completion_tokens: number } };
                if (chunk.usage) usage = chunk.usage.completion_tokens;
            }
            gwTps.push(usage / ((performance.now() - t0) / 1000));
        }
        await gateway.close();

        const result = {
            machine: `${process.platform} ${process.arch}, node ${process.version}`,
            pairs: PAIRS,
            latencyMs: {
                proxyDirect: { p50: round(pct(rawMs, 50)), p99: round(pct(rawMs, 99)) },
                sdkDirect: { p50: round(pct(sdkMs, 50)), p99: round(pct(sdkMs, 99)) },
                gateway: { p50: round(pct(gwMs, 50)), p99: round(pct(gwMs, 99)) },
                gatewayAddedP50: round(pct(diff, 50)),
                gatewayAddedP90: round(pct(diff, 90)),
                gatewayHopModels: { p50: round(pct(hopMs, 50)), p99: round(pct(hopMs, 99)) },
            },
            streaming: {
                maxTokens: long.max_tokens,
                streams: STREAMS,
                proxyDirectTokensPerS: round(pct(rawTps, 50)),
                gatewayTokensPerS: round(pct(gwTps, 50)),
            },
        };
        console.log(
            `gateway benchmark (${PAIRS} interleaved 1-token requests, ${STREAMS} streams of ${long.max_tokens} tokens)`,
        );
        console.log(
            `  proxy directly (signed fetch)  p50 ${result.latencyMs.proxyDirect.p50} ms  p99 ${result.latencyMs.proxyDirect.p99} ms`,
        );
        console.log(
            `  SDK generate (checks)          p50 ${result.latencyMs.sdkDirect.p50} ms  p99 ${result.latencyMs.sdkDirect.p99} ms`,
        );
        console.log(
            `  gateway /v1/chat/completions   p50 ${result.latencyMs.gateway.p50} ms  p99 ${result.latencyMs.gateway.p99} ms`,
        );
        console.log(
            `  gateway added (per pair)       p50 ${result.latencyMs.gatewayAddedP50} ms  p90 ${result.latencyMs.gatewayAddedP90} ms`,
        );
        console.log(
            `  gateway hop alone (GET /models) p50 ${result.latencyMs.gatewayHopModels.p50} ms  p99 ${result.latencyMs.gatewayHopModels.p99} ms`,
        );
        console.log(
            `  streamed tokens/s              proxy ${result.streaming.proxyDirectTokensPerS}  gateway ${result.streaming.gatewayTokensPerS}`,
        );
        const dir = join(__dirname, '..', '..', 'bench');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'gateway.json'), JSON.stringify(result, null, 2) + '\n');
        console.log('written bench/gateway.json');
    } finally {
        await devnet.stop();
    }
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
