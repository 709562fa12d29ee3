/**
 * The proxy's HTTP API end to end: a sandbox network, real Redis, real sealed queues and ONNX Runtime workers.
 */
import { randomBytes } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { bullQueueName } from '../../worker-runtime/src/queue';
import { toNano } from '@ton/core';
import { ChrysalisClient, ProxyError } from '../../worker-runtime/src/client';
import { signRequest } from '../../worker-runtime/src/protocol/request';
import { verifyVoucher, VoucherOp } from '../../worker-runtime/src/protocol/voucher';
import { voucherFromJson } from '../../worker-runtime/src/roles/proxy';
import type { VoucherJson } from '../../worker-runtime/src/roles/proxy/vouchers';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { RegistryView } from '../../worker-runtime/src/chain/registryView';
import { meter } from '../../worker-runtime/src/inference';
import { createHarness, devnetClient, Harness, mlpInputs, newClient, REDIS_URL } from './harness';

jest.setTimeout(60000);

let h: Harness;
let client: ChrysalisClient;

beforeAll(async () => {
    h = await createHarness({ area: 'proxy-api' });
    client = await devnetClient(h);
});

afterAll(async () => {
    await h?.close();
});

/** Posts a signed request as it is, or raw bytes with the given headers. */
async function post(signed: { body: string; headers: Record<string, string> }) {
    const res = await fetch(`${h.url}/v1/infer`, { method: 'POST', headers: signed.headers, body: signed.body });
    const json = (await res.json().catch(() => null)) as { error?: string; message?: string; voucher?: VoucherJson };
    // Requests sent here bypass the SDK but charge the same account: the SDK continues from their voucher.
    if (res.ok && json?.voucher) client.resumeFrom(json.voucher);
    return { status: res.status, body: json };
}

/** Signs any body text with the devnet client's key (for bodies the SDK would never build). */
function signText(body: string) {
    const c = h.net.client;
    return signRequest(
        { requestId: '', model: '', inputs: {}, account: c.account.address.toString(), validUntil: 0 },
        c.keyPair.secretKey,
        body,
    );
}

async function jobExists(requestId: string): Promise<boolean> {
    const queue = new Queue(bullQueueName(h.model.hash), { connection: { url: REDIS_URL }, prefix: h.prefix });
    try {
        return (await Job.fromId(queue, requestId)) !== undefined;
    } finally {
        await queue.close();
    }
}

async function signedBody(inputs: Record<string, unknown> = mlpInputs(), over: Record<string, unknown> = {}) {
    const c = h.net.client;
    const request = {
        requestId: randomBytes(32).toString('hex'),
        model: h.model.hash,
        inputs,
        account: c.account.address.toString(),
        validUntil: (await h.chain.now()) + 300,
        ...over,
    };
    return { ...signRequest(request, c.keyPair.secretKey, JSON.stringify(request)), requestId: request.requestId };
}

test('a paid request returns the model outputs, a receipt the SDK verifies and a charge voucher', async () => {
    const inputs = mlpInputs(2, 7);
    const expected = await h.pool.run(inputs);
    const res = await client.infer(h.model.hash, inputs);
    expect(res.outputs).toEqual(expected);
    expect(res.tokens).toBe(meter('classifier', inputs, expected));
    expect(res.receipt.workerKey).toBe(h.workers[0].workerKey);
    // The voucher is the proxy's, for this account, covering the metered tokens.
    const v = verifyVoucher(voucherFromJson(res.voucher), h.net.proxy.keyPair.publicKey, {
        op: VoucherOp.charge,
        target: client.account,
    });
    expect(v?.cumulative).toBe(BigInt(res.tokens));
    // The worker's payout voucher is signed when asked for, not per request.
    expect(await h.redis.get(RedisKeys.payout(h.prefix, res.workerKey))).toBeNull();
    // And the receipt can be fetched again by id (by the account's owner: tests/proxy/receipts.spec.ts), no outputs.
    const stored = await client.receipt(res.requestId);
    expect(stored.receipt).toEqual(res.receipt);
    expect(stored.outputs).toBeUndefined();
});

test("payout vouchers are signed on demand and flushed, always over the owner's latest total", async () => {
    const worker = h.workers[0].workerKey;
    const owner = h.net.workers[0].owner.address.toRawString();
    const payoutVoucher = (json: { voucher: string; signature: string }) =>
        verifyVoucher(voucherFromJson(json), h.net.proxy.keyPair.publicKey, {
            op: VoucherOp.payout,
            target: h.net.workers[0].payoutAccount.address,
        });
    const ask = async () => {
        const res = await fetch(`${h.url}/v1/payouts/${worker}`);
        expect(res.status).toBe(200);
        return (await res.json()) as { voucher: string; signature: string; cumulative: string };
    };
    const stored = async () => JSON.parse((await h.redis.get(RedisKeys.payout(h.prefix, worker)))!);

    await client.infer(h.model.hash, mlpInputs(1, 5));
    const asked = await ask();
    const total = await h.proxy.counters.workerTokens(owner);
    expect(payoutVoucher(asked)?.cumulative).toBe(total);
    expect(asked.cumulative).toBe(total.toString());
    expect(await stored()).toEqual(asked);

    // A request later, Redis still holds the older voucher until the proxy flushes (or the worker asks again).
    const next = await client.infer(h.model.hash, mlpInputs(2, 5));
    expect(BigInt((await stored()).cumulative)).toBe(total);
    expect(await h.proxy.flushPayouts()).toBe(1);
    expect(payoutVoucher(await stored())?.cumulative).toBe(total + BigInt(next.tokens));
    expect(await h.proxy.flushPayouts()).toBe(0);
    expect(payoutVoucher(await ask())?.cumulative).toBe(total + BigInt(next.tokens));

    const unknown = await fetch(`${h.url}/v1/payouts/${'ab'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect((await fetch(`${h.url}/v1/payouts/nothex`)).status).toBe(400);
});

test('cumulative vouchers grow with each request and the same request id is never charged twice', async () => {
    const first = await client.infer(h.model.hash, mlpInputs(1, 3));
    const second = await client.infer(h.model.hash, mlpInputs(3, 4));
    expect(BigInt(second.voucher.cumulative) - BigInt(first.voucher.cumulative)).toBe(BigInt(second.tokens));
    await expect(client.infer(h.model.hash, mlpInputs(1, 3), second.requestId)).rejects.toMatchObject({
        status: 409,
        code: 'duplicate_request',
    });
    expect(await h.proxy.counters.clientTokens(client.account.toRawString())).toBe(BigInt(second.voucher.cumulative));
});

test('the same signed request posted twice at once is computed once and charged once', async () => {
    const body = await signedBody(mlpInputs(2, 77));
    const before = await h.proxy.counters.clientTokens(h.net.client.account.address.toRawString());
    const jobsBefore = h.workers[0].jobs;
    const [a, b] = await Promise.all([post(body), post(body)]);
    expect(h.workers[0].jobs - jobsBefore).toBe(1);
    expect([a.status, b.status]).toEqual([200, 200]);
    const ra = a.body as unknown as { outputs: unknown; tokens: number; receipt: unknown };
    const rb = b.body as unknown as { outputs: unknown; tokens: number; receipt: unknown };
    // Answers carry the wire form: base64 of the elements' bytes.
    expect(ra.outputs).toMatchObject({ logits: { type: 'float32', data: expect.any(String) } });
    expect(ra.outputs).toEqual(rb.outputs);
    expect(ra.receipt).toEqual(rb.receipt);
    const after = await h.proxy.counters.clientTokens(h.net.client.account.address.toRawString());
    expect(after - before).toBe(BigInt(ra.tokens));
});

test('the SDK verifies the proxy attestation against the registry and the Proxy contract key', async () => {
    const view = await RegistryView.open({
        chain: h.chain,
        redis: h.redis,
        registry: h.net.registry.address,
        prefix: h.prefix,
    });
    try {
        await expect(client.verifyProxy(view)).resolves.toBeUndefined();
        // A registry that does not allow the proxy's image refuses it.
        const strict = { isTestNetwork: () => true, workerImageAllowed: () => true, proxyImageAllowed: () => false };
        await expect(client.verifyProxy(strict)).rejects.toThrow(/proxy attestation refused/);
    } finally {
        await view.stop();
    }
});

test('a forged client signature is refused with 401 and nothing is queued', async () => {
    const body = await signedBody();
    const stranger = signRequest(JSON.parse(body.body), randomBytes(64), body.body);
    const res = await post({ body: body.body, headers: stranger.headers });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('bad_signature');
    // A signature over another body (one changed byte) is refused too.
    const tampered = await post({ ...body, body: body.body.replace(/"validUntil":(\d)/, '"validUntil":1$1') });
    expect(tampered.status).toBe(401);
    expect(await jobExists(body.requestId)).toBe(false);
});

test('a client without funds gets 402 before any work is queued', async () => {
    const { client: poor } = await newClient(h, 'poor', { deposit: toNano('1') });
    await poor.withdraw((await poor.accountData()).balance);
    expect((await poor.accountData()).balance).toBe(0n);
    const requestId = randomBytes(32).toString('hex');
    const err = (await poor.infer(h.model.hash, mlpInputs(), requestId).catch((e) => e)) as ProxyError;
    expect(err).toBeInstanceOf(ProxyError);
    expect(err.status).toBe(402);
    expect(err.code).toBe('insufficient_funds');
    expect(err.message).toMatch(/top up/);
    expect(await jobExists(requestId)).toBe(false);
    // After a top-up the same client is served.
    await poor.topUp(toNano('1'));
    await expect(poor.infer(h.model.hash, mlpInputs())).resolves.toMatchObject({ tokens: 2 });
});

test('a closing or closed account gets 402', async () => {
    const { client: leaving, wallet } = await newClient(h, 'leaving');
    await h.chain
        .open((await import('../../wrappers/ClientAccount')).ClientAccount.fromAddress(leaving.account))
        .send(wallet.sender, { value: toNano('0.05') }, { $$type: 'RequestRefund', queryId: 0n });
    const requestId = randomBytes(32).toString('hex');
    const err = (await leaving.infer(h.model.hash, mlpInputs(), requestId).catch((e) => e)) as ProxyError;
    expect(err.status).toBe(402);
    expect(err.code).toBe('account_not_active');
    expect(await jobExists(requestId)).toBe(false);
});

test('an address that is no ClientAccount of this proxy gets 402', async () => {
    const { client: stranger } = await newClient(h, 'no-account', { open: false });
    const err = (await stranger.infer(h.model.hash, mlpInputs()).catch((e) => e)) as ProxyError;
    expect(err.status).toBe(402);
    expect(err.code).toBe('unknown_account');
});

test('malformed bodies get 4xx and the proxy stays up', async () => {
    const good = await signedBody();
    const request = JSON.parse(good.body) as Record<string, unknown>;
    const cases: { body: string; headers: Record<string, string> }[] = [
        signText('{not json'),
        signText('[]'),
        signText('{}'),
        signText('"a string"'),
        signText(JSON.stringify({ ...request, requestId: 'xyz' })),
        signText(JSON.stringify({ ...request, account: 'not an address' })),
        signText(JSON.stringify({ ...request, validUntil: 'soon' })),
        { body: good.body, headers: { 'content-type': 'application/json' } },
        { body: good.body, headers: { ...good.headers, 'x-chrysalis-signature': 'zz' } },
        { body: good.body, headers: { ...good.headers, 'x-chrysalis-account': 'not an address' } },
        { body: good.body, headers: { ...good.headers, 'x-chrysalis-body-sha256': 'zz' } },
        { body: 'x'.repeat(10), headers: { ...good.headers, 'content-type': 'text/plain' } },
    ];
    for (const c of cases) {
        const res = await post(c);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        // docs/proxy.md: every refusal is {error: code, message}.
        expect(res.body).toEqual({ error: expect.any(String), message: expect.any(String) });
    }
    // docs/proxy.md, Refusals: a text/plain body is a 400 bad_request; Fastify's own 4xx keep their status with error
    // bad_request: 415 for a content type it has no parser for.
    // (signed, so that they get past the header check that answers every unsigned request first)
    const as = (body: string, type: string) => {
        const signed = signText(body);
        return post({ body, headers: { ...signed.headers, 'content-type': type } });
    };
    const plain = await as('x'.repeat(10), 'text/plain');
    expect([plain.status, plain.body.error]).toEqual([400, 'bad_request']);
    const xml = await as('<x/>', 'application/xml');
    expect([xml.status, xml.body.error]).toEqual([415, 'bad_request']);
    // Inputs that do not match the model's declared signature: 400 with the validator's message, never queued.
    const wrongShape = await signedBody({ features: { type: 'float32', dims: [1, 3], data: [1, 2, 3] } });
    const shape = await post(wrongShape);
    expect(shape.status).toBe(400);
    expect(shape.body.error).toBe('invalid_input');
    expect(await jobExists(wrongShape.requestId)).toBe(false);
    const unknownModel = await post(await signedBody(mlpInputs(), { model: 'ab'.repeat(32) }));
    expect(unknownModel.status).toBe(404);
    const expired = await post(await signedBody(mlpInputs(), { validUntil: (await h.chain.now()) - 1 }));
    expect(expired.body.error).toBe('expired');
    // Still serving.
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    await expect(client.infer(h.model.hash, mlpInputs())).resolves.toHaveProperty('outputs');
});

test('models, metrics and health are served', async () => {
    const models = await client.models();
    expect(models.map((m) => m.hash)).toEqual([h.model.hash]);
    expect(models[0].inputs).toEqual([{ name: 'features', type: 'float32', dims: ['batch', 16] }]);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/chrysalis_requests_total\{.*outcome="ok".*\} \d+/);
    expect(metrics).toMatch(/bullmq_job_count/);
    expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ ok: true });
});
