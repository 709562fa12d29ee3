/**
 * Poisoned inputs (issue 15, items 6, 7, 8, 10, 13): requests a client can craft to get a healthy worker blamed, or to
 * make the proxy work before it knows who is asking. Each is a real request against the real proxy, sealed queue and
 * ONNX Runtime worker; the worker must never be blamed and the proxy must stay up.
 */
import type { VoucherJson } from '../../worker-runtime/src/roles/proxy/vouchers';
import { randomBytes } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { ChrysalisClient, ProxyError } from '../../worker-runtime/src/client';
import { JsonTensorMap, meter } from '../../worker-runtime/src/inference';
import { signRequest } from '../../worker-runtime/src/protocol/request';
import {
    bullQueueName,
    createQueueKey,
    queueKeyId,
    queueNameForModel,
    RequestLedger,
    sealResult,
} from '../../worker-runtime/src/queue';
import { createHarness, devnetClient, Harness, mlpInputs, REDIS_URL } from './harness';

jest.setTimeout(90000);

let h: Harness;
let client: ChrysalisClient;

beforeAll(async () => {
    h = await createHarness({
        area: 'proxy-poison',
        behaviours: ['good', 'good'],
        // As on the devnet: two failures out of three attempts would demote a worker.
        proxyConfig: { reputationMinSamples: 3, reputationMinSuccessRate: 50, maxAttempts: 3 },
    });
    client = await devnetClient(h);
});

afterAll(async () => {
    await h?.close();
});

function features(rows: number, value: number): JsonTensorMap {
    return { features: { type: 'float32', dims: [rows, 16], data: new Array(rows * 16).fill(value) } };
}

/** Signs an exact body text with the devnet client's key and posts it. */
async function postText(body: string) {
    const c = h.net.client;
    const signed = signRequest(
        { requestId: '', model: '', inputs: {}, account: c.account.address.toString(), validUntil: 0 },
        c.keyPair.secretKey,
        body,
    );
    const res = await fetch(`${h.url}/v1/infer`, { method: 'POST', headers: signed.headers, body });
    const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    // Requests sent here bypass the SDK but charge the same account: the SDK continues from their voucher.
    if (res.ok && json?.voucher) client.resumeFrom(json.voucher as VoucherJson);
    return { status: res.status, body: json };
}

async function requestText(inputs: unknown, requestId = randomBytes(32).toString('hex')) {
    const c = h.net.client;
    return JSON.stringify({
        requestId,
        model: h.model.hash,
        inputs,
        account: c.account.address.toString(),
        validUntil: (await h.chain.now()) + 300,
    });
}

async function jobExists(requestId: string): Promise<boolean> {
    const queue = new Queue(bullQueueName(h.model.hash), { connection: { url: REDIS_URL }, prefix: h.prefix });
    try {
        return (await Job.fromId(queue, requestId)) !== undefined;
    } finally {
        await queue.close();
    }
}

function noWorkerBlamed(): void {
    expect(h.admission.demoted).toEqual([]);
    for (const w of h.workers) {
        const rep = h.proxy.reputation.get(w.workerKey);
        if (rep) expect(rep.successRate).toBe(1);
    }
}

test('features of 1e39 and 3e38 (NaN outputs) are a result: delivered exactly, charged, no worker blamed', async () => {
    const before = await h.proxy.counters.clientTokens(client.account.toRawString());
    let charged = 0;
    // 15 such requests demoted both workers before the fix.
    for (let i = 0; i < 15; i++) {
        const value = i % 2 === 0 ? 1e39 : 3e38;
        const res = await client.infer(h.model.hash, features(1, value));
        const logits = res.outputs.logits.data as number[];
        expect(logits.some((v) => Number.isNaN(v) || !Number.isFinite(v))).toBe(true);
        expect(res.tokens).toBe(meter('classifier', features(1, value), res.encodedOutputs));
        charged += res.tokens;
    }
    expect((await h.proxy.counters.clientTokens(client.account.toRawString())) - before).toBe(BigInt(charged));
    // The same poison as a raw JSON body (numbers, not the SDK's bytes) is served too.
    const raw = await postText(await requestText(features(2, 1e39)));
    expect(raw.status).toBe(200);
    noWorkerBlamed();
});

test('1e400 (Infinity from JSON) is refused at the proxy and never queued', async () => {
    const requestId = randomBytes(32).toString('hex');
    const text = (await requestText(features(1, 0), requestId)).replace('"data":[0,', '"data":[1e400,');
    expect(text).toContain('1e400');
    const res = await postText(text);
    expect(res.status).toBe(400);
    expect(res.body?.error).toBe('invalid_input');
    expect(res.body?.message).toMatch(/finite number/);
    expect(await jobExists(requestId)).toBe(false);
});

test('one request id with two different bodies at once: one is served, the other refused 409 before queuing', async () => {
    const requestId = randomBytes(32).toString('hex');
    const jobsBefore = h.workers[0].jobs + h.workers[1].jobs;
    const outcomes = await Promise.allSettled([
        client.infer(h.model.hash, mlpInputs(1, 1), requestId),
        client.infer(h.model.hash, mlpInputs(2, 2), requestId),
    ]);
    const served = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as ProxyError] : []));
    expect(served).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(ProxyError);
    expect(refused[0].status).toBe(409);
    expect(['request_id_conflict', 'duplicate_request']).toContain(refused[0].code);
    expect(h.workers[0].jobs + h.workers[1].jobs - jobsBefore).toBe(1);
    noWorkerBlamed();
});

test('a stale result left under an old queue key is not returned; one that does not open is dropped and rerun', async () => {
    const { key } = await h.admission.queueKey(h.model.hash);
    const queueName = queueNameForModel(h.model.hash);
    const ttl = { resultSeconds: 60, chargeSeconds: 60 };
    // What a demoted worker finishing during its shutdown window leaves: a result sealed under the old key.
    const oldKey = createQueueKey();
    const staleId = randomBytes(32).toString('hex');
    const stale = sealResult(oldKey, h.model.hash, staleId, { outputs: {}, workerKey: 'ab'.repeat(32) });
    await new RequestLedger(h.redis, h.prefix, queueName, ttl, queueKeyId(oldKey)).putResult(staleId, stale);
    const first = await client.infer(h.model.hash, mlpInputs(1, 41), staleId);
    expect(first.outputs).toEqual(await h.pool.run(mlpInputs(1, 41)));

    // A record under the current key's name that does not open with it (tampered, or written by a confused
    // party): the worker hands it back, the proxy cannot open it, drops it and the job runs again.
    const badId = randomBytes(32).toString('hex');
    const current = new RequestLedger(h.redis, h.prefix, queueName, ttl, queueKeyId(key));
    await current.putResult(badId, stale);
    const second = await client.infer(h.model.hash, mlpInputs(1, 42), badId);
    expect(second.outputs).toEqual(await h.pool.run(mlpInputs(1, 42)));
    noWorkerBlamed();
});

test('nesting 10,000 deep is a 400 signed or not, never a 500; the proxy stays up', async () => {
    const deep = '['.repeat(10000) + ']'.repeat(10000);
    const inInputs = (await requestText({})).replace('"inputs":{}', `"inputs":{"features":${deep}}`);
    const inDims = (await requestText({})).replace(
        '"inputs":{}',
        `"inputs":{"features":{"type":"float32","dims":${deep},"data":[]}}`,
    );
    const inData = (await requestText({})).replace(
        '"inputs":{}',
        `"inputs":{"features":{"type":"float32","dims":[1,16],"data":[${deep}${',0'.repeat(15)}]}}`,
    );
    for (const body of [deep, inInputs, inDims, inData]) {
        const signed = await postText(body);
        expect(signed.status).toBe(400);
        // Unsigned (a stranger): refused before it is even parsed.
        const res = await fetch(`${h.url}/v1/infer`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
        });
        expect(res.status).toBe(400);
    }
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    await expect(client.infer(h.model.hash, mlpInputs())).resolves.toHaveProperty('outputs');
});

test("a forged upload is refused from its headers, unread; a signed one past every model's bound gets 413", async () => {
    const body = 'x'.repeat(5 * 1024 * 1024);
    const c = h.net.client;
    const signed = signRequest(
        { requestId: '', model: '', inputs: {}, account: c.account.address.toString(), validUntil: 0 },
        c.keyPair.secretKey,
        body,
    );
    const res = await fetch(`${h.url}/v1/infer`, { method: 'POST', headers: signed.headers, body });
    expect(res.status).toBe(413);
    // The same headers with another signature: 401 before a byte of the body is read (the connection is closed).
    const forged = { ...signed.headers, 'x-chrysalis-signature': randomBytes(64).toString('hex') };
    const small = await fetch(`${h.url}/v1/infer`, { method: 'POST', headers: forged, body: '{}' });
    expect(small.status).toBe(401);
    expect(small.headers.get('connection')).toBe('close');
});
