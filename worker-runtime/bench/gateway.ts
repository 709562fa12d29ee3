/**
 * Gateway benchmark (`npm run bench:gateway`): what the OpenAI-compatible gateway adds over calling the proxy
 * directly, on a devnet (sandbox chain, one worker serving the tiny chat folder, Redis), keep-alive everywhere.
 * The gateway runs in the devnet's process, where it shares one event loop with the proxy and the worker role it
 * calls; `--own-process` runs it in a process of its own, as on an app's machine (bench/gatewayProcess.ts: a client
 * account of its own, the chain through the devnet's TON API) — on a quiet machine; on a loaded one every hop then
 * waits for the scheduler as well.
 *
 *   npx tsx worker-runtime/bench/gateway.ts [--pairs 200] [--streams 10] [--own-process]
 *
 * - latency: interleaved requests of 1 token, four ways — a signed `POST /v1/generate` over the SDK's channel (no
 *   checks), the SDK's `generate` (signing, receipt and voucher checks), and `POST /v1/chat/completions` at the
 *   gateway with fetch and with node:http (keep-alive; fetch's own cost is the app's client, not the gateway);
 *   p50/p99 of each and the p50 of the per-pair differences gateway − raw proxy and gateway − SDK.
 * - streaming: tokens/s of a streamed generation of half the model's context, through the gateway vs directly.
 * - CPU: the main thread's CPU time per request of each path (mean); the gateway's added CPU hardly depends on the
 *   machine's load, where the wall-clock figures on a shared machine do.
 * Prints a table and writes bench/gateway.json. A benchmark, never a timed test.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { toNano } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readSse, signedGenerativeRequest } from '../src/client/generative';
import { Devnet, startDevnet } from '../src/devnet/orchestrator';
import { deployClientWallet } from '../src/devnet/clientWallet';
import { startTonApi } from '../src/devnet/tonApi';
import { ChrysalisClient } from '../src/client';
import type { GatewayProcessConfig } from './gatewayProcess';
import { createGateway } from '../src/gateway';
import type { VoucherJson } from '../src/roles/proxy/vouchers';

const { values } = parseArgs({
    options: {
        pairs: { type: 'string', default: '200' },
        streams: { type: 'string', default: '10' },
        'own-process': { type: 'boolean', default: false },
    },
});
const IN_PROCESS = !(values['own-process'] ?? false);
const PAIRS = Number(values.pairs);
const STREAMS = Number(values.streams);
const messages = [{ role: 'user', content: 'Say something about TON.' }];

const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x: number) => Math.round(x * 1000) / 1000;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** CPU time of this process's main thread, ms (Linux: /proc, in clock ticks of 10 ms; elsewhere the whole process). */
function mainThreadCpuMs(): number {
    try {
        const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
        const c = process.cpuUsage();
        return (c.user + c.system) / 1000;
    }
}

/**
 * Starts bench/gatewayProcess.ts for a client account of its own (a fresh wallet, funded, with an account at the
 * devnet's proxy): the devnet's demo account stays the one the raw and SDK paths bill, so no session sees another's
 * usage. The chain is reached through the devnet's TON API.
 */
async function gatewayProcess(devnet: Devnet): Promise<{ url: string; close(): Promise<void> }> {
    const blockchain = devnet.network.chain.blockchain;
    const api = await startTonApi({ blockchain, port: 0 });
    const keyPair = keyPairFromSeed(randomBytes(32));
    const funder = await blockchain.treasury('bench-gateway-client');
    const wallet = await deployClientWallet(blockchain, funder, keyPair, toNano('1000'));
    const opener = await ChrysalisClient.connect({
        proxyUrl: devnet.proxyUrl,
        chain: devnet.network.chain,
        proxyAddress: devnet.network.proxy.contract.address,
        wallet: { address: wallet.wallet.address, sender: wallet.sender, keyPair },
    });
    await opener.openAccount((await devnet.client.accountData()).stake, toNano('500'));
    const config: GatewayProcessConfig = {
        endpoint: api.url,
        proxyUrl: devnet.proxyUrl,
        proxyAddress: devnet.network.proxy.contract.address.toString(),
        secretKey: keyPair.secretKey.toString('hex'),
    };
    const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(__dirname, 'gatewayProcess.ts'), JSON.stringify(config)],
        {
            stdio: ['ignore', 'pipe', 'inherit'],
        },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /gateway (\S+)/.exec(out);
            if (m) resolve(m[1]);
        });
        void exited.then((code) => reject(new Error(`the gateway process exited (${code}) before listening`)));
    });
    return {
        url,
        async close() {
            child.kill('SIGTERM');
            await exited;
            await api.close();
        },
    };
}

/** A refused request would time the refusal, not the path: the benchmark stops instead. */
async function ok(res: Response, path: string): Promise<Response> {
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return res;
}

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
        const gateway = IN_PROCESS
            ? await createGateway({ clients: [devnet.client], port: 0 })
            : await gatewayProcess(devnet);
        const model = devnet.network.models.find((m) => m.name === 'chat-think')!;
        const catalog = await devnet.client.catalog();
        const context = catalog.find((m) => m.hash === model.hashHex)!.contextLength!;
        const account = devnet.network.client.account.address.toString();
        const secretKey = devnet.network.client.keyPair.secretKey;

        const raw = async (inputs: Record<string, unknown>) => {
            const body = signedGenerativeRequest({ model: model.hashHex, inputs, account, secretKey });
            // The proxy directly, over the same RA-TLS channel the gateway uses.
            return ok(await devnet.client.proxy.send({ method: 'POST', path: '/v1/generate', signed: body }), 'proxy');
        };
        // The raw path bills the same account as the SDK and the gateway: its vouchers are handed to the SDK as
        // another sender's (resumeFrom), so the SDK's audit counts on from them and commits them when due.
        const keep = (answer: unknown) => devnet.client.resumeFrom((answer as { voucher: VoucherJson }).voucher);
        const viaGateway = async (inputs: Record<string, unknown>) =>
            ok(
                await fetch(`${gateway.url}/chat/completions`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/json' },
                    body: JSON.stringify({ model: 'chat-think', ...inputs }),
                }),
                'gateway',
            );
        // The same call with a lean client (node:http, keep-alive): fetch's own cost (undici builds Request, Headers,
        // streams per call) is the app's HTTP client, not the gateway; this path shows the gateway alone.
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const gatewayUrl = new URL(`${gateway.url}/chat/completions`);
        const viaGatewayHttp = (inputs: Record<string, unknown>) =>
            new Promise<unknown>((resolve, reject) => {
                const body = JSON.stringify({ model: 'chat-think', ...inputs });
                const req = httpRequest(
                    gatewayUrl,
                    {
                        method: 'POST',
                        agent,
                        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
                    },
                    (res) => {
                        const chunks: Buffer[] = [];
                        res.on('data', (c: Buffer) => chunks.push(c));
                        res.on('end', () => {
                            const text = Buffer.concat(chunks).toString();
                            if (res.statusCode !== 200)
                                reject(new Error(`gateway answered ${res.statusCode}: ${text}`));
                            else resolve(JSON.parse(text));
                        });
                        res.on('error', reject);
                    },
                );
                req.on('error', reject);
                req.end(body);
            });
        // Wall time per request, and the main thread's CPU time over it: the proxy, the worker role and the chain share
        // that thread and do the same for every path, so the difference is what the path itself costs — and, unlike
        // wall time on a shared machine, it hardly moves with the load (ONNX Runtime's own threads, which spin while
        // they wait, are left out).
        const cpuMs: Record<string, number[]> = { raw: [], sdk: [], gw: [], gwHttp: [] };
        const time = async (f: () => Promise<unknown>, path?: keyof typeof cpuMs) => {
            const c0 = mainThreadCpuMs();
            const t0 = performance.now();
            await f();
            const ms = performance.now() - t0;
            if (path) cpuMs[path].push(mainThreadCpuMs() - c0);
            return ms;
        };

        // Latency, 1 token, interleaved (warm-up first).
        const one = { messages, max_tokens: 1, seed: 1 };
        for (let i = 0; i < 20; i++) {
            keep(await (await raw(one)).json());
            await (await viaGateway(one)).json();
        }
        const rawMs: number[] = [];
        const sdkMs: number[] = [];
        const gwMs: number[] = [];
        const diff: number[] = [];
        const diffSdk: number[] = [];
        const gwHttpMs: number[] = [];
        const diffSdkHttp: number[] = [];
        // The order rotates, so that no path always follows another (the proxy finishes a request's bookkeeping
        // after answering it, which the next request can feel).
        for (let i = 0; i < PAIRS; i++) {
            const runs: Array<() => Promise<void>> = [
                async () => void rawMs.push(await time(async () => keep(await (await raw(one)).json()), 'raw')),
                async () => void sdkMs.push(await time(() => devnet.client.generate(model.hashHex, one), 'sdk')),
                async () => void gwMs.push(await time(async () => (await viaGateway(one)).json(), 'gw')),
                async () => void gwHttpMs.push(await time(() => viaGatewayHttp(one), 'gwHttp')),
            ];
            for (let k = 0; k < runs.length; k++) await runs[(i + k) % runs.length]();
            diff.push(gwMs[i] - rawMs[i]);
            // Over the SDK itself (the gateway is the SDK behind an HTTP hop): what an app pays for the gateway.
            diffSdk.push(gwMs[i] - sdkMs[i]);
            diffSdkHttp.push(gwHttpMs[i] - sdkMs[i]);
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
                if (e.event === 'done') keep(e.data as { voucher: VoucherJson });
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
        agent.destroy();
        await gateway.close();

        const result = {
            machine: `${process.platform} ${process.arch}, node ${process.version}`,
            gateway: IN_PROCESS ? 'in the devnet process' : 'own process (chain through the devnet TON API)',
            pairs: PAIRS,
            latencyMs: {
                proxyDirect: { p50: round(pct(rawMs, 50)), p99: round(pct(rawMs, 99)) },
                sdkDirect: { p50: round(pct(sdkMs, 50)), p99: round(pct(sdkMs, 99)) },
                gateway: { p50: round(pct(gwMs, 50)), p99: round(pct(gwMs, 99)) },
                gatewayAddedP50: round(pct(diff, 50)),
                gatewayAddedP90: round(pct(diff, 90)),
                gatewayOverSdkP50: round(pct(diffSdk, 50)),
                gatewayOverSdkP90: round(pct(diffSdk, 90)),
                /** The gateway called with node:http (keep-alive) instead of fetch: the gateway's own share. */
                gatewayNodeHttp: { p50: round(pct(gwHttpMs, 50)), p99: round(pct(gwHttpMs, 99)) },
                gatewayNodeHttpOverSdkP50: round(pct(diffSdkHttp, 50)),
                gatewayNodeHttpOverSdkP90: round(pct(diffSdkHttp, 90)),
                gatewayHopModels: { p50: round(pct(hopMs, 50)), p99: round(pct(hopMs, 99)) },
            },
            // Means: the main thread's CPU clock ticks in 10 ms steps, which average out over the requests.
            // Only where the gateway shares this process's main thread (its own process's CPU is not counted here).
            mainThreadCpuMsPerRequest: !IN_PROCESS
                ? null
                : {
                      proxyDirect: round(mean(cpuMs.raw)),
                      sdkDirect: round(mean(cpuMs.sdk)),
                      gateway: round(mean(cpuMs.gw)),
                      gatewayAdded: round(mean(cpuMs.gw) - mean(cpuMs.raw)),
                      gatewayOverSdk: round(mean(cpuMs.gw) - mean(cpuMs.sdk)),
                      gatewayNodeHttp: round(mean(cpuMs.gwHttp)),
                      gatewayNodeHttpOverSdk: round(mean(cpuMs.gwHttp) - mean(cpuMs.sdk)),
                  },
            load: loadavg().map(round),
            streaming: {
                maxTokens: long.max_tokens,
                streams: STREAMS,
                proxyDirectTokensPerS: round(pct(rawTps, 50)),
                gatewayTokensPerS: round(pct(gwTps, 50)),
            },
        };
        const cpu = result.mainThreadCpuMsPerRequest;
        console.log(
            `gateway benchmark (${PAIRS} interleaved 1-token requests, ${STREAMS} streams of ${long.max_tokens} tokens; ` +
                `gateway ${result.gateway})`,
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
            `  gateway over the SDK (per pair) p50 ${result.latencyMs.gatewayOverSdkP50} ms  p90 ${result.latencyMs.gatewayOverSdkP90} ms`,
        );
        console.log(
            `  gateway via node:http over SDK p50 ${result.latencyMs.gatewayNodeHttpOverSdkP50} ms  p90 ${result.latencyMs.gatewayNodeHttpOverSdkP90} ms`,
        );
        console.log(
            `  gateway hop alone (GET /models) p50 ${result.latencyMs.gatewayHopModels.p50} ms  p99 ${result.latencyMs.gatewayHopModels.p99} ms`,
        );
        if (cpu) {
            console.log(
                `  main-thread CPU per request    proxy ${cpu.proxyDirect} ms  SDK ${cpu.sdkDirect} ms  gateway ${cpu.gateway} ms (added ${cpu.gatewayAdded} ms; over the SDK ${cpu.gatewayOverSdk} ms; via node:http ${cpu.gatewayNodeHttpOverSdk} ms)`,
            );
        }
        console.log(`  load average at the end        ${result.load.join(' ')} (${cpus().length} cores)`);
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
