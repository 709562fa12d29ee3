/**
 * The gateway as an app developer meets it: the official `openai` package pointed at `createGateway()`, in front of
 * a real devnet (sandbox chain, real ClientAccounts, the proxy's HTTP API, worker roles running the tiny chat,
 * embedding and Whisper folders, Redis). Answers, usage, streaming, typed errors, failover, and vouchers committed
 * so the account keeps serving past its stake.
 */
import { toNano } from '@ton/core';
import OpenAI, { toFile } from 'openai';
import { ChrysalisClient } from '../../worker-runtime/src/client';
import { deployClientWallet } from '../../worker-runtime/src/devnet/clientWallet';
import { devnetKeyPair } from '../../worker-runtime/src/devnet/keys';
import { Devnet, startDevnet } from '../../worker-runtime/src/devnet/orchestrator';
import { createGateway, Gateway } from '../../worker-runtime/src/gateway';
import { encodeWav } from '../../worker-runtime/src/inference/generative/wav';

jest.setTimeout(180_000);

let devnet: Devnet;
let gateway: Gateway;
let openai: OpenAI;
const messages = [
    { role: 'system' as const, content: 'You are terse.' },
    { role: 'user' as const, content: 'Say something about TON.' },
];

beforeAll(async () => {
    devnet = await startDevnet({
        workers: 1,
        models: ['tiny-mlp'],
        generative: ['chat-think', 'embedder', 'whisper'],
        port: 0,
        logLevel: 'silent',
    });
    for (const w of devnet.workers) {
        for (let i = 0; i < 100 && w.role.currentState !== 'consuming'; i++)
            await new Promise((r) => setTimeout(r, 100));
    }
    gateway = await createGateway({ clients: [devnet.client], port: 0 });
    openai = new OpenAI({ baseURL: gateway.url, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
    await gateway?.close();
    await devnet?.stop();
});

/** A second wallet with its own account at the devnet's proxy (balance `deposit` above the minimum stake). */
async function otherClient(name: string, deposit: bigint, proxyUrl = devnet.proxyUrl): Promise<ChrysalisClient> {
    const { blockchain } = devnet.network.chain;
    const keyPair = devnetKeyPair(devnet.prefix, name);
    const wallet = await deployClientWallet(
        blockchain,
        await blockchain.treasury(`${name}:faucet`),
        keyPair,
        toNano('50'),
    );
    const client = await ChrysalisClient.connect({
        proxyUrl,
        chain: devnet.network.chain,
        proxyAddress: devnet.network.proxy.contract.address,
        wallet: { address: wallet.wallet.address, sender: wallet.sender, keyPair },
    });
    await client.openAccount(devnet.network.params.minClientStake, deposit);
    return client;
}

test('models: every served model with its task, context length and prices', async () => {
    const list = await openai.models.list();
    const byId = new Map(list.data.map((m) => [m.id, m as unknown as { chrysalis: Record<string, unknown> }]));
    expect(byId.get('chat-think')?.chrysalis).toMatchObject({ task: 'chat' });
    expect(byId.get('embedder')?.chrysalis).toMatchObject({ task: 'text-embedding' });
    expect(byId.get('whisper')?.chrysalis).toMatchObject({ task: 'speech-to-text' });
    expect(byId.get('tiny-mlp')?.chrysalis).toMatchObject({ task: 'tensor', context_length: null });
    expect((await openai.models.retrieve('chat-think')).id).toBe('chat-think');
});

test('chat completion: text, finish reason, OpenAI usage with cached and reasoning details, cost in nanoTON', async () => {
    const res = await openai.chat.completions.create({ model: 'chat-think', messages, max_tokens: 12, seed: 7 });
    expect(res.object).toBe('chat.completion');
    expect(res.choices).toHaveLength(1);
    expect(res.choices[0].message.role).toBe('assistant');
    expect(typeof res.choices[0].message.content).toBe('string');
    expect(['stop', 'length']).toContain(res.choices[0].finish_reason);
    const usage = res.usage as OpenAI.CompletionUsage & { cost_nanoton: string };
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeLessThanOrEqual(12);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.prompt_tokens_details?.cached_tokens).toBeGreaterThanOrEqual(0);
    expect(usage.completion_tokens_details?.reasoning_tokens).toBeGreaterThanOrEqual(0);
    // The devnet weighs every token kind 1× at 0.001 TON.
    expect(usage.cost_nanoton).toBe(String(BigInt(usage.total_tokens) * 1_000_000n));
});

test('streamed chat: the deltas make the same text as the JSON answer of the same seeded request, usage last', async () => {
    const request = { model: 'chat-think', messages, max_tokens: 16, seed: 11, temperature: 0.8 };
    const whole = await openai.chat.completions.create(request);
    const stream = await openai.chat.completions.create({
        ...request,
        stream: true,
        stream_options: { include_usage: true },
    });
    let text = '';
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
        chunks.push(chunk);
        text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(text).toBe(whole.choices[0].message.content);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
        prompt_tokens: whole.usage!.prompt_tokens,
        completion_tokens: whole.usage!.completion_tokens,
    });
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe(whole.choices[0].finish_reason);
    // Without include_usage no chunk carries usage.
    const plain = await openai.chat.completions.create({ ...request, stream: true });
    for await (const chunk of plain) expect(chunk.usage ?? undefined).toBeUndefined();
});

test('completions: a prompt, JSON and streamed', async () => {
    const res = await openai.completions.create({ model: 'chat-think', prompt: 'TON is', max_tokens: 8, seed: 3 });
    expect(res.object).toBe('text_completion');
    expect(res.usage!.completion_tokens).toBeGreaterThan(0);
    const stream = await openai.completions.create({
        model: 'chat-think',
        prompt: 'TON is',
        max_tokens: 8,
        seed: 3,
        stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(res.choices[0].text);
});

test('embeddings: one unit vector per input (the SDK asks for base64 and decodes it), usage counted', async () => {
    const res = await openai.embeddings.create({ model: 'embedder', input: ['hello', 'TON blockchain', 'x'] });
    expect(res.data).toHaveLength(3);
    for (const d of res.data) expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 4);
    const floats = await openai.embeddings.create({ model: 'embedder', input: 'hello', encoding_format: 'float' });
    expect(floats.data[0].embedding[0]).toBeCloseTo(res.data[0].embedding[0], 6);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
});

test('transcription: a multipart WAV upload, as OpenAI takes it', async () => {
    const samples = new Float32Array(16000 * 1.5).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / 16000));
    const file = await toFile(Buffer.from(encodeWav(samples)), 'tone.wav', { type: 'audio/wav' });
    const res = await openai.audio.transcriptions.create({ model: 'whisper', file });
    expect(typeof res.text).toBe('string');
    expect((res as unknown as { usage: { seconds: number } }).usage.seconds).toBe(2);
    // The billed tokens, which OpenAI's duration usage has no place for, in the extension: they price the cost.
    const ext = (res as unknown as { chrysalis: { units: string; usage: OpenAI.CompletionUsage } }).chrysalis;
    expect(ext.usage.prompt_tokens).toBeGreaterThan(0);
    expect(String(ext.usage.prompt_tokens + ext.usage.completion_tokens)).toBe(ext.units);
    const text = await openai.audio.transcriptions.create({ model: 'whisper', file, response_format: 'text' });
    expect(typeof text).toBe('string');
});

test('tensor models through the native /v1/infer, signed and checked by the SDK', async () => {
    const { demoInputs } = await import('../../worker-runtime/src/devnet/demoInputs');
    const model = devnet.network.models.find((m) => m.name === 'tiny-mlp')!;
    const res = await fetch(`${gateway.url}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny-mlp', inputs: demoInputs('tiny-mlp', 0) }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { receipt: { modelHash: string } }).receipt.modelHash).toBe(model.hashHex);
});

test('errors arrive as the SDK typed errors: unsupported field, unknown model, wrong task, bad value', async () => {
    const tools = openai.chat.completions.create({
        model: 'chat-think',
        messages,
        tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
    });
    await expect(tools).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(tools).rejects.toMatchObject({ status: 400, param: 'tools', code: 'unsupported_parameter' });
    await expect(openai.chat.completions.create({ model: 'chat-think', messages, n: 2 })).rejects.toMatchObject({
        status: 400,
        param: 'n',
    });
    await expect(openai.chat.completions.create({ model: 'nope', messages })).rejects.toBeInstanceOf(
        OpenAI.NotFoundError,
    );
    await expect(openai.chat.completions.create({ model: 'embedder', messages })).rejects.toMatchObject({
        status: 400,
        param: 'model',
    });
    await expect(
        openai.chat.completions.create({ model: 'chat-think', messages, temperature: -1 }),
    ).rejects.toMatchObject({ status: 400, param: 'temperature', code: 'bad_temperature' });
    await expect(
        openai.chat.completions.create({ model: 'chat-think', messages, max_tokens: 1_000_000 }),
    ).rejects.toMatchObject({ status: 400, param: 'max_tokens' });
});

test('an account that cannot pay: 402 insufficient_quota', async () => {
    // A balance below the price of one token.
    const poor = await otherClient('gw-poor', toNano('0.0005'));
    const gw = await createGateway({ clients: [poor], port: 0 });
    try {
        const client = new OpenAI({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
        const call = client.chat.completions.create({ model: 'chat-think', messages, max_tokens: 8 });
        await expect(call).rejects.toBeInstanceOf(OpenAI.APIError);
        await expect(call).rejects.toMatchObject({
            status: 402,
            code: 'insufficient_quota',
            type: 'insufficient_quota',
        });
    } finally {
        await gw.close();
    }
});

test('a local API key: absent or wrong → 401 AuthenticationError; right → served', async () => {
    const gw = await createGateway({ clients: [devnet.client], port: 0, apiKey: 'sk-local-test' });
    try {
        const wrong = new OpenAI({ baseURL: gw.url, apiKey: 'sk-wrong', maxRetries: 0 });
        await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
        const right = new OpenAI({ baseURL: gw.url, apiKey: 'sk-local-test', maxRetries: 0 });
        expect((await right.models.list()).data.length).toBeGreaterThan(0);
    } finally {
        await gw.close();
    }
});

test('failover: a proxy that cannot be reached is skipped for the next one where the wallet has an account', async () => {
    const dead = await ChrysalisClient.connect({
        proxyUrl: 'https://127.0.0.1:1',
        chain: devnet.network.chain,
        proxyAddress: devnet.network.proxy.contract.address,
        wallet: {
            address: devnet.network.client.wallet.address,
            sender: devnet.network.client.sender,
            keyPair: devnet.network.client.keyPair,
        },
    });
    const gw = await createGateway({ clients: [dead, devnet.client], port: 0 });
    try {
        const client = new OpenAI({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
        const res = await client.chat.completions.create({ model: 'chat-think', messages, max_tokens: 4, seed: 7 });
        expect(res.usage!.completion_tokens).toBeGreaterThan(0);
    } finally {
        await gw.close();
    }
});

test('usage past the stake keeps being served: the SDK commits the charge voucher at half the stake', async () => {
    const client = await otherClient('gw-long', toNano('5'));
    const gw = await createGateway({ clients: [client], port: 0 });
    try {
        const api = new OpenAI({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
        const before = await client.accountData();
        const stakeUnits = before.stake / before.price;
        let used = 0n;
        while (used < stakeUnits * 2n) {
            const res = await api.chat.completions.create({ model: 'chat-think', messages, max_tokens: 64 });
            used += BigInt(res.usage!.total_tokens);
        }
        const after = await client.accountData();
        // Charged on chain well past one stake's worth; never more than what was used.
        expect(after.charged).toBeGreaterThan(stakeUnits);
        expect(after.charged).toBeLessThanOrEqual(used);
    } finally {
        await gw.close();
    }
});

test('`chrysalis client serve` finds the registry proxy where the wallet has an account and serves OpenAI clients; `status` lists it', async () => {
    const { run } = await import('../../worker-runtime/src/cli/client');
    const lines: string[] = [];
    let served: Gateway | undefined;
    const ctx = {
        config: { proxyUrl: '', proxyAddress: '', registryAddress: devnet.network.registry.address.toString() },
        chain: devnet.network.chain,
        wallet: {
            address: devnet.network.client.wallet.address,
            sender: devnet.network.client.sender,
            keyPair: devnet.network.client.keyPair,
        },
        out: (line: string) => lines.push(line),
        onGateway: (g: Gateway) => (served = g),
    };
    // `serve` starts a new session of the devnet client's account: its first voucher is held to the charged count on
    // chain, so the SDK session that used the account so far settles first, as a stopping gateway does.
    await devnet.client.settled();
    await devnet.client.commitVoucher();
    expect(await run(['serve', '--port', '0'], ctx)).toBe(0);
    try {
        expect(lines.join('\n')).toContain(`proxy ${devnet.network.proxy.proxyId} ${devnet.proxyUrl}: account`);
        expect(lines.join('\n')).toMatch(/gateway http:\/\/127\.0\.0\.1:\d+\/v1 \(1 proxy\)/);
        const api = new OpenAI({ baseURL: served!.url, apiKey: 'unused', maxRetries: 0 });
        const res = await api.chat.completions.create({ model: 'chat-think', messages, max_tokens: 4, seed: 7 });
        expect(res.usage!.completion_tokens).toBeGreaterThan(0);
    } finally {
        await served?.close();
    }
    lines.length = 0;
    expect(await run(['status'], ctx)).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('balance');
});

test('`serve --voucher-file`: a gateway that stopped without committing is followed by one that resumes from its voucher', async () => {
    const { run } = await import('../../worker-runtime/src/cli/client');
    const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'chrysalis-kept-'));
    const file = join(dir, 'vouchers.json');
    // A wallet and account of its own (as otherClient makes them), so that its sessions are the only ones on it.
    const { blockchain } = devnet.network.chain;
    const keyPair = devnetKeyPair(devnet.prefix, 'gw-kept');
    const w = await deployClientWallet(blockchain, await blockchain.treasury('gw-kept:faucet'), keyPair, toNano('50'));
    const wallet = { address: w.wallet.address, sender: w.sender, keyPair };
    const own = await ChrysalisClient.connect({
        proxyUrl: devnet.proxyUrl,
        chain: devnet.network.chain,
        proxyAddress: devnet.network.proxy.contract.address,
        wallet,
    });
    await own.openAccount(devnet.network.params.minClientStake, toNano('5'));
    const lines: string[] = [];
    let served: Gateway | undefined;
    const ctx = {
        config: { proxyUrl: '', proxyAddress: '', registryAddress: devnet.network.registry.address.toString() },
        chain: devnet.network.chain,
        wallet,
        out: (line: string) => lines.push(line),
        onGateway: (g: Gateway) => (served = g),
    };
    const chat = async () => {
        const api = new OpenAI({ baseURL: served!.url, apiKey: 'unused', maxRetries: 0 });
        const res = await api.chat.completions.create({ model: 'chat-think', messages, max_tokens: 4, seed: 3 });
        return BigInt((res as unknown as { chrysalis: { units: string } }).chrysalis.units);
    };
    try {
        expect(await run(['serve', '--port', '0', '--voucher-file', file], ctx)).toBe(0);
        const first = await chat();
        // Closed as a killed one ends: nothing committed (serve commits only on its signal, which this skips).
        await served!.close();
        const kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { voucher: { cumulative: string } }>;
        expect(Object.values(kept).map((e) => e.voucher.cumulative)).toEqual([first.toString()]);
        expect(Object.values(kept).map((e) => (e as unknown as { inFlight: number }).inFlight)).toEqual([0]);
        expect((await own.accountData()).charged).toBe(0n);

        // With it, a new gateway resumes from the kept voucher, and its commit settles both sessions' usage.
        lines.length = 0;
        expect(await run(['serve', '--port', '0', '--voucher-file', file], ctx)).toBe(0);
        expect(lines.join('\n')).toContain('resumed 1 account(s)');
        const second = await chat();
        await served!.close();
        served = undefined;
        own.latestVoucher = Object.values(
            JSON.parse(readFileSync(file, 'utf8')) as Record<string, { voucher: never }>,
        )[0].voucher;
        expect((await own.commitVoucher())!.charged).toBe(first + second);

        // The same stop without committing, followed by a gateway without the file: its first voucher counts usage
        // it never saw and is refused (what the file prevents).
        expect(await run(['serve', '--port', '0', '--voucher-file', file], ctx)).toBe(0);
        await chat();
        await served!.close();
        expect(await run(['serve', '--port', '0'], ctx)).toBe(0);
        await expect(chat()).rejects.toMatchObject({ status: 502 });
        await served!.close();
        served = undefined;

        // A file that is not a voucher file is refused, not overwritten.
        writeFileSync(file, '[1, 2]');
        await expect(run(['serve', '--port', '0', '--voucher-file', file], ctx)).resolves.toBe(2);
        expect(readFileSync(file, 'utf8')).toBe('[1, 2]');
    } finally {
        await served?.close();
        rmSync(dir, { recursive: true, force: true });
    }
});

test('an answer altered on the way (text changed after the worker signed it) is refused with 502 receipt_invalid, streamed or not', async () => {
    // A relay between the gateway and the proxy that rewrites the generated text in JSON answers and SSE deltas.
    const { createServer } = await import('node:http');
    const relay = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        // Upstream over the devnet client's own channel (RA-TLS to the proxy, verified and pinned).
        const upstream = await devnet.client.proxy.send({
            method: req.method as 'GET' | 'POST',
            path: req.url!,
            // The signing headers travel as they came (only the answer is altered).
            ...(req.method === 'POST'
                ? {
                      signed: {
                          body: Buffer.concat(chunks).toString('utf8'),
                          headers: Object.fromEntries(
                              Object.entries(req.headers).flatMap(([k, v]) =>
                                  k.startsWith('x-chrysalis-') || k === 'content-type' ? [[k, String(v)]] : [],
                              ),
                          ),
                      },
                  }
                : {}),
        });
        const body = await upstream.text();
        // A JSON answer gets its text replaced; a stream gets one more delta before its last event (an unseeded
        // generation may end at its first token and stream no delta to alter).
        const forged =
            req.url !== '/v1/generate'
                ? body
                : body.includes('event: done')
                  ? body.replace(
                        'event: done\n',
                        'event: delta\ndata: {"index":0,"tokenIds":[],"text":"forged"}\n\nevent: done\n',
                    )
                  : body.replace(/"text": ?"(?:[^"\\]|\\.)*"/, '"text":"forged"');
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(forged);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as { port: number }).port;
    // The relay speaks plain HTTP to the client (opted in: the devnet is a test network), so it can rewrite answers.
    const relayed = await ChrysalisClient.connect({
        proxyUrl: `http://127.0.0.1:${port}`,
        allowPlainHttp: true,
        chain: devnet.network.chain,
        proxyAddress: devnet.network.proxy.contract.address,
        wallet: {
            address: devnet.network.client.wallet.address,
            sender: devnet.network.client.sender,
            keyPair: devnet.network.client.keyPair,
        },
    });
    const gw = await createGateway({ clients: [relayed], port: 0 });
    try {
        const api = new OpenAI({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
        await expect(
            api.chat.completions.create({ model: 'chat-think', messages, max_tokens: 8 }),
        ).rejects.toMatchObject({ status: 502, code: 'receipt_invalid' });
        const stream = await api.chat.completions.create({
            model: 'chat-think',
            messages,
            max_tokens: 8,
            stream: true,
        });
        const read = async () => {
            for await (const chunk of stream) void chunk;
        };
        await expect(read()).rejects.toThrow(/receipt/);
    } finally {
        await gw.close();
        relay.close();
    }
});
