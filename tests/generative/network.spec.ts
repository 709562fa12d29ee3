/**
 * Generative inference end to end, as the devnet composes it: real worker roles serving the tiny chat (with a think
 * span), embedding and Whisper folders in engine threads, real admission and grants, the sealed queue and chunk
 * streams on real Redis, the proxy's HTTP API, a sandbox chain with real ClientAccounts. Streams, receipts,
 * cancellation, metering, reservations and named input errors.
 */
import { randomBytes } from 'node:crypto';
import { toNano } from '@ton/core';
import { ChrysalisClient } from '../../worker-runtime/src/client';
import { generationReceiptValid, readSse, signedGenerativeRequest } from '../../worker-runtime/src/client/generative';
import { deployClientWallet } from '../../worker-runtime/src/devnet/clientWallet';
import { devnetKeyPair } from '../../worker-runtime/src/devnet/keys';
import { Devnet, startDevnet } from '../../worker-runtime/src/devnet/orchestrator';
import { generatedPackagePath } from '../../worker-runtime/src/inference/catalog';
import { GenerationFinal, StreamedToken } from '../../worker-runtime/src/protocol/generation';
import { SignedRequest } from '../../worker-runtime/src/protocol/request';
import { billingUnits } from '../../worker-runtime/src/protocol/voucher';
import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { SealedJobQueue, SealedWorker } from '../../worker-runtime/src/queue';
import { WorkerRole } from '../../worker-runtime/src/roles/worker/worker';
import { createGenerativeProcessor } from '../../worker-runtime/src/roles/worker/generative';
import { CancelWatcher } from '../../worker-runtime/src/queue/cancel';
import { readChunkStream } from '../../worker-runtime/src/queue/chunkStream';
import { encodeWav } from '../../worker-runtime/src/inference/generative/wav';
import { generativeServedModel } from '../../worker-runtime/src/roles/proxy/generative/models';
import type { GenerateResponse } from '../../worker-runtime/src/roles/proxy/generative/service';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';

jest.setTimeout(180_000);

let devnet: Devnet;
const chatProcessor = generativeServedModel(generatedPackagePath('chat-think'), 'chat-think', 'chat').generative!
    .processor!;
const embedProcessor = generativeServedModel(generatedPackagePath('embedder'), 'embedder', 'text-embedding').generative!
    .processor!;

beforeAll(async () => {
    devnet = await startDevnet({
        workers: 1,
        models: ['tiny-mlp'],
        generative: ['chat-think', 'embedder', 'whisper'],
        port: 0,
        logLevel: 'silent',
        // This spec speaks the proxy's HTTP API directly (a test network, opted in); tests/transport covers RA-TLS.
        proxyConfig: { maxAudioSeconds: 5, streamIdleTimeoutMs: 3000, plainHttp: true },
    });
    // Every worker role holds its grant before the first request.
    for (const w of devnet.workers) {
        for (let i = 0; i < 100 && w.role.currentState !== 'consuming'; i++)
            await new Promise((r) => setTimeout(r, 100));
    }
});

afterAll(async () => devnet?.stop());

const hashOf = (name: string) => devnet.network.models.find((m) => m.name === name)!.hashHex;
const account = () => devnet.network.client.account.address.toString();
const secret = () => devnet.network.client.keyPair.secretKey;
const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say something about TON.' },
];

function body(model: string, inputs: Record<string, unknown>, who = { account: account(), secretKey: secret() }) {
    return signedGenerativeRequest({ model: hashOf(model), inputs, ...who });
}

/** POSTs a signed request: its exact body bytes and the three signing headers (protocol/request.ts). */
async function post(path: string, signed: SignedRequest, signal?: AbortSignal): Promise<Response> {
    return fetch(`${devnet.proxyUrl}${path}`, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
        signal,
    });
}

/** A producer on a served model's queue, as the proxy has it (the queue key of its current grant). */
async function modelQueue(model: string): Promise<SealedJobQueue> {
    const { key } = await devnet.admission.queueKey(hashOf(model));
    const queue = new SealedJobQueue({
        modelHash: hashOf(model),
        queueKey: key,
        config: { redisUrl: devnet.redis.url, prefix: devnet.prefix },
    });
    await queue.ready();
    return queue;
}

/** The job once BullMQ has moved it on from active (the worker settles it just after its final chunk). */
async function settledJob(queue: SealedJobQueue, jobId: string): Promise<Job | undefined> {
    for (let i = 0; i < 100; i++) {
        const job = await Job.fromId(queue.queue, jobId);
        if (!job) return undefined;
        if ((await job.getState()) === 'completed') return Job.fromId(queue.queue, jobId);
        await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${jobId} was not settled`);
}

/** The proxy's record of one of the devnet client's requests (a receipt query signed by the account's owner). */
async function chargedRecord(requestId: string): Promise<Record<string, unknown> | null> {
    return devnet.client.receipt(requestId).catch((err: { status?: number }) => {
        if (err.status === 404) return null;
        throw err;
    });
}

test('GET /v1/models lists each generative model with its task, context length and per-kind prices', async () => {
    const res = (await (await fetch(`${devnet.proxyUrl}/v1/models`)).json()) as {
        models: { name: string; task: string; contextLength: number | null; pricing: Record<string, unknown> }[];
    };
    const byName = new Map(res.models.map((m) => [m.name, m]));
    expect(byName.get('chat-think')).toMatchObject({ task: 'chat', contextLength: 512 });
    expect(byName.get('embedder')).toMatchObject({ task: 'text-embedding' });
    expect(byName.get('whisper')).toMatchObject({ task: 'speech-to-text' });
    expect(byName.get('tiny-mlp')).toMatchObject({ task: 'tensor', contextLength: null });
    expect(byName.get('chat-think')!.pricing).toEqual({
        unitPriceNanoton: '1000000',
        multipliersBps: { prompt: 10000, cached: 2500, completion: 10000, reasoning: 10000 },
        nanotonPerMillionTokens: {
            prompt: '1000000000000',
            cached: '250000000000',
            completion: '1000000000000',
            reasoning: '1000000000000',
        },
    });
});

test('a streamed chat: deltas as the worker samples them, then a done event whose receipt and usage check out', async () => {
    const inputs = { messages, max_tokens: 24, temperature: 0.8, top_p: 0.95, seed: 7, stream: true };
    const req = body('chat-think', inputs);
    const started = performance.now();
    const res = await post('/v1/generate', req);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const deltas: { index: number; tokenIds: number[]; text: string }[] = [];
    let done: Omit<GenerateResponse, 'text'> | null = null;
    let firstDeltaMs = 0;
    let doneMs = 0;
    for await (const e of readSse(res.body!)) {
        if (e.event === 'delta') {
            if (deltas.length === 0) firstDeltaMs = performance.now() - started;
            deltas.push(e.data as (typeof deltas)[number]);
        } else if (e.event === 'done') {
            done = e.data as typeof done;
            doneMs = performance.now() - started;
        } else throw new Error(`unexpected event ${e.event}: ${JSON.stringify(e.data)}`);
    }
    expect(done).not.toBeNull();
    const ids = deltas.flatMap((d) => d.tokenIds);
    const text = deltas.map((d) => d.text).join('');
    expect(ids).toEqual(done!.completionTokenIds);
    expect(deltas.map((d) => d.index)).toEqual(
        deltas.map((_, i) => deltas.slice(0, i).reduce((n, d) => n + d.tokenIds.length, 0)),
    );
    expect(firstDeltaMs).toBeLessThan(doneMs);
    // The proxy counted the prompt itself with the model's template; reasoning = the think span the prompt opened.
    const promptIds = chatProcessor.encodeChat(messages);
    expect(done!.usage.promptTokens).toBe(promptIds.length);
    expect(done!.usage.completionTokens).toBe(ids.length);
    expect(done!.usage.reasoningTokens).toBe(chatProcessor.countReasoningTokens(promptIds, ids));
    expect(done!.usage.reasoningTokens).toBeGreaterThan(0);
    expect(done!.usage.totalTokens).toBe(promptIds.length + ids.length);
    // 1× multipliers and 0.001 TON per unit: units = tokens, cost = units × price.
    expect(done!.units).toBe(String(promptIds.length + ids.length));
    expect(done!.costNanoton).toBe(String(BigInt(done!.units) * 1_000_000n));
    expect(
        generationReceiptValid({
            registry: devnet.network.registry.address,
            requestId: req.requestId,
            model: hashOf('chat-think'),
            inputs,
            completionTokenIds: ids,
            text,
            finishReason: done!.finishReason,
            usage: done!.usage,
            receipt: done!.receipt,
        }),
    ).toBe(true);
    const record = await chargedRecord(req.requestId);
    expect(record).toMatchObject({ usage: done!.usage, finishReason: done!.finishReason });
    // Nothing of it stays queued: its completion removed the job (the sealed prompt with it), and the worker kept no
    // result record, the answer having gone through the stream.
    const queue = await modelQueue('chat-think');
    try {
        expect(await settledJob(queue, `${req.requestId}.1`)).toBeUndefined();
        expect(await queue.ledger.getResult(`${req.requestId}.1`)).toBeNull();
    } finally {
        await queue.close();
    }
});

test('the same seeded request as one JSON answer gives the same tokens; without a seed, two ids sample differently', async () => {
    const inputs = { messages, max_tokens: 16, temperature: 1, seed: 99 };
    const a = (await (await post('/v1/generate', body('chat-think', inputs))).json()) as GenerateResponse;
    const b = await (await post('/v1/generate', body('chat-think', { ...inputs, stream: true }))).text();
    expect(a.completionTokenIds.length).toBeGreaterThan(0);
    expect(b).toContain(`"completionTokenIds":${JSON.stringify(a.completionTokenIds)}`);
    const unseeded = { messages, max_tokens: 16, temperature: 1 };
    const c = (await (await post('/v1/generate', body('chat-think', unseeded))).json()) as GenerateResponse;
    const d = (await (await post('/v1/generate', body('chat-think', unseeded))).json()) as GenerateResponse;
    expect(c.completionTokenIds).not.toEqual(d.completionTokenIds);
});

test('a worker answers a repeat of a request it signed with the stored answer: one receipt, never two', async () => {
    const model = hashOf('chat-think');
    const { key } = await devnet.admission.queueKey(model);
    const queue = await modelQueue('chat-think');
    const reader = devnet.redisClient.duplicate();
    try {
        const requestId = randomBytes(32).toString('hex');
        const inputs = { messages, max_tokens: 12, temperature: 1.2 }; // sampled, seeded from the request id
        const finals: Extract<GenerationFinal, { ok: true }>[] = [];
        for (const attempt of [1, 2]) {
            const streamId = `${requestId}.${attempt}`;
            await queue.add({ requestId: streamId, inputs: { task: 'chat', requestId, inputs } });
            for await (const c of readChunkStream<StreamedToken, GenerationFinal>(reader, {
                prefix: devnet.prefix,
                modelHash: model,
                requestId: streamId,
                queueKey: key,
                firstChunkTimeoutMs: 20_000,
                idleTimeoutMs: 10_000,
            })) {
                if (c.kind === 'final' && c.final.ok) finals.push(c.final);
            }
            // Kept as completed (this add did not ask for its removal), with no result record behind it.
            expect((await settledJob(queue, streamId))?.returnvalue).toBe('streamed-result:v1');
            expect(await queue.ledger.getResult(streamId)).toBeNull();
        }
        expect(finals).toHaveLength(2);
        expect(finals[1].repeated).toBe(true);
        expect(finals[1].signature).toBe(finals[0].signature);
        expect(finals[1].completionTokenIds).toEqual(finals[0].completionTokenIds);

        // A streamed request another worker already started (its claim is in Redis) is refused, never run twice.
        const claimed = randomBytes(32).toString('hex');
        await devnet.redisClient.set(`${devnet.prefix}:chrysalis:claim:${model}:${claimed}`, 'ab'.repeat(32));
        await queue.add({ requestId: `${claimed}.1`, inputs: { task: 'chat', requestId: claimed, inputs } });
        let refusal: GenerationFinal | null = null;
        for await (const c of readChunkStream<StreamedToken, GenerationFinal>(reader, {
            prefix: devnet.prefix,
            modelHash: model,
            requestId: `${claimed}.1`,
            queueKey: key,
            firstChunkTimeoutMs: 20_000,
            idleTimeoutMs: 10_000,
        })) {
            if (c.kind === 'items') throw new Error('a claimed request generated tokens');
            refusal = c.final;
        }
        expect(refusal).toMatchObject({ ok: false, name: 'StreamClaimedError', permanent: true });
    } finally {
        await queue.close();
        await reader.quit();
    }
});

test('a client that leaves mid-stream stops the generation at the worker and is billed exactly the tokens generated', async () => {
    const inputs = { messages, max_tokens: 400, stream: true }; // greedy: this model runs all 400 tokens unless stopped
    const req = body('chat-think', inputs);
    const controller = new AbortController();
    const res = await post('/v1/generate', req, controller.signal);
    let delivered = 0;
    try {
        for await (const e of readSse(res.body!)) {
            if (e.event === 'delta') delivered += (e.data as { tokenIds: number[] }).tokenIds.length;
            if (delivered >= 3) {
                controller.abort();
                break;
            }
        }
    } catch {
        // the abort ends the body
    }
    let record: Record<string, unknown> | null = null;
    for (let i = 0; i < 100 && !record; i++) {
        record = await chargedRecord(req.requestId);
        if (!record) await new Promise((r) => setTimeout(r, 100));
    }
    expect(record).not.toBeNull();
    expect([record!.finishReason, record!.problem]).toEqual(['cancelled', undefined]);
    const usage = record!.usage as { completionTokens: number; promptTokens: number };
    expect(usage.completionTokens).toBeGreaterThanOrEqual(delivered);
    expect(usage.completionTokens).toBeLessThan(400);
    expect(record!.tokens).toBe(usage.promptTokens + usage.completionTokens);
});

test('a per-request deadline (timeout_ms) stops the generation at the next step; receipt and usage say so', async () => {
    // Greedy: this model runs all 400 tokens unless stopped. 40 ms: well below the ~60-140 ms the tiny model takes for
    // 400 tokens (prompt cached by the tests before), so the deadline, not max_tokens, ends it.
    const inputs = { messages, max_tokens: 400, timeout_ms: 40, stream: true };
    const req = body('chat-think', inputs);
    const started = Date.now();
    const res = await post('/v1/generate', req);
    const ids: number[] = [];
    let text = '';
    let done: Omit<GenerateResponse, 'text'> | null = null;
    for await (const e of readSse(res.body!)) {
        if (e.event === 'delta') {
            ids.push(...(e.data as { tokenIds: number[] }).tokenIds);
            text += (e.data as { text: string }).text;
        } else if (e.event === 'done') done = e.data as typeof done;
        else throw new Error(`unexpected ${e.event}: ${JSON.stringify(e.data)}`);
    }
    expect(done).toMatchObject({ finishReason: 'deadline', completionTokenIds: ids });
    expect(ids.length).toBeLessThan(400);
    // It stopped within a step or so of the deadline, not at the end of the 400 tokens (or the idle timeout).
    expect(Date.now() - started).toBeLessThan(40 + 2_000);
    const promptTokens = chatProcessor.encodeChat(messages).length;
    expect(done!.usage).toMatchObject({ promptTokens, completionTokens: ids.length });
    expect(
        generationReceiptValid({
            registry: devnet.network.registry.address,
            requestId: req.requestId,
            model: hashOf('chat-think'),
            inputs,
            completionTokenIds: ids,
            text,
            finishReason: 'deadline',
            usage: done!.usage,
            receipt: done!.receipt,
        }),
    ).toBe(true);
    expect(await chargedRecord(req.requestId)).toMatchObject({ tokens: promptTokens + ids.length });
});

test('bad input gets a named 400 before anything is queued or charged', async () => {
    const before = await devnet.proxy.counters.clientCounts(devnet.network.client.account.address.toRawString());
    const cases: [string, string, Record<string, unknown>][] = [
        ['bad_messages', 'chat-think', { messages: 'hi', max_tokens: 4 }],
        ['bad_messages', 'chat-think', { messages: [], max_tokens: 4 }],
        ['bad_messages', 'chat-think', { messages: [{ role: 'wizard', content: 'x' }], max_tokens: 4 }],
        ['prompt_too_long', 'chat-think', { prompt: 'ton '.repeat(600), max_tokens: 4 }],
        ['bad_max_tokens', 'chat-think', { messages, max_tokens: 0 }],
        ['bad_max_tokens', 'chat-think', { messages, max_tokens: 10_000 }],
        ['bad_temperature', 'chat-think', { messages, max_tokens: 4, temperature: -0.1 }],
        ['bad_top_p', 'chat-think', { messages, max_tokens: 4, top_p: 0 }],
        ['bad_top_p', 'chat-think', { messages, max_tokens: 4, top_p: 1.5 }],
        ['bad_stop', 'chat-think', { messages, max_tokens: 4, stop: ['a', 'b', 'c', 'd', 'e'] }],
        ['bad_stop', 'chat-think', { messages, max_tokens: 4, stop: ['x'.repeat(65)] }],
        ['bad_timeout', 'chat-think', { messages, max_tokens: 4, timeout_ms: 0 }],
        ['bad_timeout', 'chat-think', { messages, max_tokens: 4, timeout_ms: 1.5 }],
        ['wrong_task', 'embedder', { messages, max_tokens: 4 }],
        ['bad_embed_input', 'embedder', { input: [] }],
        ['bad_audio', 'whisper', { audio: '!!!' }],
        ['bad_audio', 'whisper', { audio: Buffer.from('not a wav file').toString('base64') }],
        [
            'audio_not_16khz_mono',
            'whisper',
            { audio: Buffer.from(encodeWav(new Float32Array(800), 'pcm16', 8000)).toString('base64') },
        ],
        [
            'audio_too_long',
            'whisper',
            { audio: Buffer.from(encodeWav(new Float32Array(16000 * 6))).toString('base64') },
        ],
    ];
    for (const [code, model, inputs] of cases) {
        const path =
            model === 'embedder' && code !== 'wrong_task'
                ? '/v1/embed'
                : model === 'whisper'
                  ? '/v1/transcribe'
                  : '/v1/generate';
        const res = await post(path, body(model, inputs));
        const json = (await res.json()) as { error: string };
        expect([code, res.status, json.error]).toEqual([code, 400, code]);
    }
    const unknown = { ...body('chat-think', { messages, max_tokens: 4 }) };
    const res = await post(
        '/v1/generate',
        signedGenerativeRequest({
            model: 'ab'.repeat(32),
            inputs: { messages, max_tokens: 4 },
            account: account(),
            secretKey: secret(),
        }),
    );
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([400, 'unknown_model']);
    void unknown;
    expect(await devnet.proxy.counters.clientCounts(devnet.network.client.account.address.toRawString())).toEqual(
        before,
    );
});

test('the generative endpoints are signed with the same three headers as /v1/infer: forged or altered requests get 401', async () => {
    const before = await devnet.proxy.counters.clientCounts(devnet.network.client.account.address.toRawString());
    for (const path of ['/v1/generate', '/v1/embed', '/v1/transcribe']) {
        // A signature by another key: refused from the headers alone.
        const forged = signedGenerativeRequest({
            model: hashOf('chat-think'),
            inputs: { messages, max_tokens: 4 },
            account: account(),
            secretKey: devnetKeyPair(devnet.prefix, 'gen-forger').secretKey,
        });
        const res = await post(path, forged);
        expect([path, res.status, ((await res.json()) as { error: string }).error]).toEqual([
            path,
            401,
            'bad_signature',
        ]);
    }
    // A genuine signature presented with other bytes: the body does not hash to the signed value.
    const genuine = body('chat-think', { messages, max_tokens: 4 });
    const altered = await post('/v1/generate', {
        ...genuine,
        body: genuine.body.replace('"max_tokens":4', '"max_tokens":5'),
    });
    expect([altered.status, ((await altered.json()) as { error: string }).error]).toEqual([401, 'bad_signature']);
    expect(await devnet.proxy.counters.clientCounts(devnet.network.client.account.address.toRawString())).toEqual(
        before,
    );
});

/** An SDK client of a fresh wallet (funded with 50 TON) on this devnet; its account is not open yet. */
async function walletClient(name: string) {
    const { blockchain } = devnet.network.chain;
    const funder = await blockchain.treasury(`${name}:faucet`);
    const keyPair = devnetKeyPair(devnet.prefix, name);
    const wallet = await deployClientWallet(blockchain, funder, keyPair, toNano('50'));
    const client = await ChrysalisClient.connect({
        proxyUrl: devnet.proxyUrl,
        chain: devnet.network.chain,
        proxyAddress: devnet.network.proxy.contract.address,
        wallet: { address: wallet.wallet.address, sender: wallet.sender, keyPair },
        allowPlainHttp: true, // this devnet serves plain HTTP (see beforeAll)
    });
    return { client, keyPair, wallet: { sender: wallet.sender } };
}

test('N concurrent requests that together exceed the balance: the excess get 402, none is served for free', async () => {
    const { client, keyPair } = await walletClient('gen-402');
    await client.openAccount(devnet.network.params.minClientStake, toNano('0.1'));
    const data = await client.accountData();
    const budget = data.balance / data.price;
    const promptTokens = chatProcessor.encodeChat(messages).length;
    const perRequest = BigInt(promptTokens + 30);
    const fits = Number(budget / perRequest);
    expect(fits).toBeGreaterThanOrEqual(1);
    expect(fits).toBeLessThan(6);
    const who = { account: client.account.toString(), secretKey: keyPair.secretKey };
    const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
            post('/v1/generate', body('chat-think', { messages, max_tokens: 30, seed: i }, who)),
        ),
    );
    const statuses = results.map((r) => r.status);
    const served = results.filter((r) => r.status === 200);
    expect(served.length).toBeGreaterThanOrEqual(fits);
    expect(statuses.filter((s) => s === 402).length).toBe(6 - served.length);
    expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
    let units = 0n;
    const answers = await Promise.all(served.map(async (r) => (await r.json()) as GenerateResponse));
    for (const a of answers) units += BigInt(a.units);
    expect(units).toBeLessThanOrEqual(budget);
    // What the account was metered for, in the vouchers' units (cached prompt tokens at the cached multiplier).
    const counts = await devnet.proxy.counters.clientCounts(client.account.toRawString());
    const p = devnet.network.params;
    const multipliers = {
        prompt: p.promptMultiplierBps,
        cached: p.cachedMultiplierBps,
        completion: p.completionMultiplierBps,
        reasoning: p.reasoningMultiplierBps,
    };
    expect(billingUnits(counts, multipliers)).toBe(units);
});

test("admission's refusal comes before the inputs' and the reservation's, and nothing stays reserved", async () => {
    // Here the account is closing: bad inputs and a prompt beyond the context get the account's refusal too.
    const { client, keyPair, wallet } = await walletClient('gen-closing');
    await client.openAccount(devnet.network.params.minClientStake, toNano('5'));
    await devnet.network.chain
        .open((await import('../../wrappers/ClientAccount')).ClientAccount.fromAddress(client.account))
        .send(wallet.sender, { value: toNano('0.05') }, { $$type: 'RequestRefund', queryId: 0n });
    const who = { account: client.account.toString(), secretKey: keyPair.secretKey };
    for (const inputs of [
        { messages, max_tokens: 8 },
        { messages: [], max_tokens: 8 }, // bad input: refused for the account first
        { messages, max_tokens: 100_000 }, // beyond the context: the same
    ]) {
        const res = await post('/v1/generate', body('chat-think', inputs, who));
        expect(res.status).toBe(402);
        expect(((await res.json()) as { error: string }).error).toBe('account_not_active');
    }
    expect(await devnet.redisClient.hlen(proxyKeys(devnet.prefix).reserved(client.account.toRawString()))).toBe(0);
});

test('after a ledger recovery the SDK signs a generative request again, valid for as long as the proxy asks', async () => {
    const { client, keyPair } = await walletClient('gen-recovered');
    await client.openAccount(devnet.network.params.minClientStake, toNano('5'));
    // What the proxy reads at start from the record `chrysalis proxy recover` leaves (tests/faults/ledger.spec.ts runs
    // the real recovery): from now on a request must be valid until at least recoveredAt + the maximum validity.
    devnet.proxy.service.recoveredAt = await devnet.network.chain.now();
    try {
        const who = { account: client.account.toString(), secretKey: keyPair.secretKey };
        const refused = await post('/v1/embed', body('embedder', { input: ['signed with 300 s'] }, who));
        expect(refused.status).toBe(400);
        const error = (await refused.json()) as { error: string; minValidUntil: number };
        expect(error.error).toBe('signed_before_recovery');
        expect(error.minValidUntil).toBe(devnet.proxy.service.recoveredAt + 3600);
        // The SDK's own validity is 300 s as well: it is told the validUntil it needs and signs again, once.
        const embedded = await client.embed(hashOf('embedder'), ['signed again']);
        expect(embedded.embeddings).toHaveLength(1);
        const chat = await client.generate(hashOf('chat-think'), { messages, max_tokens: 4 });
        expect(chat.completionTokenIds.length).toBeGreaterThan(0);
        const events = [];
        for await (const e of client.generateStream(hashOf('chat-think'), { messages, max_tokens: 4 })) events.push(e);
        expect(events.at(-1)!.type).toBe('done');
    } finally {
        devnet.proxy.service.recoveredAt = null;
    }
});

test('an embedding batch: one vector per input, billed by the input tokens the proxy counted, receipt over the vectors', async () => {
    const input = ['private inference on TON', 'sealed queues', 'tokens and receipts'];
    const req = body('embedder', { input });
    const res = await post('/v1/embed', req);
    expect(res.status).toBe(200);
    const json = (await res.json()) as {
        embeddings: number[][];
        usage: { promptTokens: number };
        units: string;
        receipt: { inputHash: string };
    };
    expect(json.embeddings).toHaveLength(3);
    for (const v of json.embeddings) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    const tokens = input.reduce((n, s) => n + embedProcessor.encode(s).length, 0);
    expect(json.usage.promptTokens).toBe(tokens);
    expect(json.units).toBe(String(tokens));
});

test('a transcription: billed ⌈audio seconds⌉ as prompt units plus the output ids as completion tokens', async () => {
    const samples = new Float32Array(16000 * 2.5).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / 16000));
    const req = body('whisper', { audio: Buffer.from(encodeWav(samples)).toString('base64'), max_tokens: 8 });
    const res = await post('/v1/transcribe', req);
    expect(res.status).toBe(200);
    const json = (await res.json()) as {
        tokenIds: number[];
        text: string;
        audioSeconds: number;
        durationS: number;
        usage: { promptTokens: number; completionTokens: number };
        units: string;
    };
    expect(json.durationS).toBeCloseTo(2.5, 3);
    expect(json.audioSeconds).toBe(3);
    expect(json.usage).toMatchObject({ promptTokens: 3, completionTokens: json.tokenIds.length });
    expect(json.units).toBe(String(3 + json.tokenIds.length));
});

/**
 * What SIGKILL does to a worker as Redis and the proxy see it (the role shares this process with the sandbox chain,
 * as in tests/worker/killed.spec.ts): its connections drop at once, mid-stream, and nothing it computes afterwards
 * reaches Redis. (Its engine thread finishes the generation into the void; terminating a thread inside an ONNX Runtime
 * run would abort this whole process.)
 */
async function killAbruptly(role: WorkerRole): Promise<void> {
    const internals = role as unknown as {
        consumer: SealedWorker | null;
        redis: Redis;
        streamRedis: Redis | null;
        cancelWatcher: { close(): Promise<void> } | null;
    };
    const consumer = internals.consumer!;
    internals.consumer = null;
    internals.redis.disconnect();
    internals.streamRedis?.disconnect();
    (consumer as unknown as { redis: Redis }).redis.disconnect();
    await Promise.all([consumer.worker.close(true), internals.cancelWatcher?.close()]);
}

test('a worker that dies mid-stream: the stream ends with an error event, billed for what was delivered, never re-run', async () => {
    const chat = devnet.workers.find((w) => w.role.generative?.kind === 'chat')!;
    const inputs = { messages, max_tokens: 400, stream: true };
    const req = body('chat-think', inputs);
    const res = await post('/v1/generate', req);
    let delivered = 0;
    let error: {
        error: string;
        billing?: { usage: { promptTokens: number; completionTokens: number }; units: string };
    } | null = null;
    let killed = false;
    for await (const e of readSse(res.body!)) {
        if (e.event === 'delta') {
            delivered += (e.data as { tokenIds: number[] }).tokenIds.length;
            if (!killed && delivered >= 3) {
                killed = true;
                await killAbruptly(chat.role);
            }
        } else if (e.event === 'error') {
            error = e.data as typeof error;
        } else throw new Error(`unexpected event ${e.event}`);
    }
    expect(killed).toBe(true);
    expect(error).not.toBeNull();
    expect(error!.error).toBe('worker_failed');
    const promptTokens = chatProcessor.encodeChat(messages).length;
    expect(error!.billing!.usage).toMatchObject({ promptTokens, completionTokens: delivered });
    const record = await chargedRecord(req.requestId);
    expect(record).toMatchObject({ broken: true, tokens: promptTokens + delivered });
    // Only the first attempt's job ever existed: the proxy never queued the streamed request again.
    const { key } = await devnet.admission.queueKey(hashOf('chat-think'));
    const queue = new SealedJobQueue({
        modelHash: hashOf('chat-think'),
        queueKey: key,
        config: { redisUrl: devnet.redis.url, prefix: devnet.prefix },
    });
    try {
        expect(await queue.queue.getJob(`${req.requestId}.2`)).toBeUndefined();
    } finally {
        await queue.close();
    }
});

test('a stopped generation whose last delta held back a partial character: the tail is forwarded and the receipt is over the signed text', async () => {
    // The real chat worker is dead (previous test); a worker process of our own takes its queue with its admitted key,
    // and streams deltas "…" that stop short of the final text, as the engine does after a cancel mid-character.
    const chat = devnet.workers.find((w) => w.role.generative?.kind === 'chat')!;
    const model = hashOf('chat-think');
    const { key } = await devnet.admission.queueKey(model);
    const redis = devnet.redisClient.duplicate();
    const finalText = 'sealed queues';
    const ids = chatProcessor.encode(finalText);
    const cancel = new CancelWatcher(redis);
    const worker = new SealedWorker({
        modelHash: model,
        queueKey: key,
        name: chat.role.workerKey,
        config: { redisUrl: devnet.redis.url, prefix: devnet.prefix },
        processor: createGenerativeProcessor({
            redis,
            prefix: devnet.prefix,
            modelHash: model,
            registry: devnet.network.registry.address,
            workerKey: chat.key.keyPair,
            queueKey: () => key,
            cancel,
            chat: {
                async generate(req, onToken) {
                    const promptTokenIds = chatProcessor.encodeChat(req.messages!);
                    ids.forEach((tokenId, index) =>
                        onToken({ index, tokenId, textDelta: index === 0 ? 'sealed queue' : '' }),
                    );
                    return {
                        promptTokenIds,
                        completionTokenIds: ids,
                        text: finalText,
                        finishReason: 'cancelled',
                        usage: {
                            promptTokens: promptTokenIds.length,
                            cachedTokens: 0,
                            completionTokens: ids.length,
                            reasoningTokens: chatProcessor.countReasoningTokens(promptTokenIds, ids),
                        },
                    };
                },
            },
        }),
    });
    try {
        await worker.waitUntilReady();
        const inputs = { messages, max_tokens: 40, stream: true };
        const req = body('chat-think', inputs);
        const res = await post('/v1/generate', req);
        let text = '';
        let done: Omit<GenerateResponse, 'text'> | null = null;
        for await (const e of readSse(res.body!)) {
            if (e.event === 'delta') text += (e.data as { text: string }).text;
            else if (e.event === 'done') done = e.data as typeof done;
            else throw new Error(`unexpected ${e.event}: ${JSON.stringify(e.data)}`);
        }
        expect(text).toBe(finalText);
        expect(done).toMatchObject({ finishReason: 'cancelled', completionTokenIds: ids });
        expect(
            generationReceiptValid({
                registry: devnet.network.registry.address,
                requestId: req.requestId,
                model,
                inputs,
                completionTokenIds: ids,
                text,
                finishReason: 'cancelled',
                usage: done!.usage,
                receipt: done!.receipt,
            }),
        ).toBe(true);
    } finally {
        await worker.close(1000);
        await cancel.close();
        await redis.quit();
    }
});
