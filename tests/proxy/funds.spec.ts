/**
 * The funds check bounds the request being admitted (issue 15, item 11): each request's maximum cost, from its shapes
 * and the model's metering rule, is reserved against balance − metered-but-uncharged − reserved before dispatch, so
 * one large request, or several at once, can never be served beyond what the account can pay.
 */
import { randomBytes } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { toNano } from '@ton/core';
import { ProxyError } from '../../worker-runtime/src/client';
import { maxTokens } from '../../worker-runtime/src/inference';
import { signRequest } from '../../worker-runtime/src/protocol/request';
import { bullQueueName } from '../../worker-runtime/src/queue';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { createHarness, Harness, mlpInputs, newClient, REDIS_URL } from './harness';

jest.setTimeout(90000);

let h: Harness;

beforeAll(async () => {
    h = await createHarness({ area: 'proxy-funds' });
});

afterAll(async () => {
    await h?.close();
});

async function jobExists(requestId: string): Promise<boolean> {
    const queue = new Queue(bullQueueName(h.model.hash), { connection: { url: REDIS_URL }, prefix: h.prefix });
    try {
        return (await Job.fromId(queue, requestId)) !== undefined;
    } finally {
        await queue.close();
    }
}

test('the maximum cost comes from the shapes and the metering rule', () => {
    const inputs = mlpInputs(7);
    expect(maxTokens('classifier', h.model.inputs, inputs, h.model.outputs, 1 << 20)).toBe(1 + 7);
});

test('a 62,500-row request from an account holding 10.006 TON is refused 402 and never queued', async () => {
    const { client, wallet } = await newClient(h, 'ten', { deposit: toNano('10.006') });
    const data = await client.accountData();
    expect(data.price).toBe(toNano('0.001'));
    // The body the client sent: JSON numbers (zeros keep it under the body limit), signed by the owner.
    const requestId = randomBytes(32).toString('hex');
    const request = {
        requestId,
        model: h.model.hash,
        inputs: { features: { type: 'float32', dims: [62_500, 16], data: new Array(62_500 * 16).fill(0) } },
        account: client.account.toString(),
        validUntil: (await h.chain.now()) + 300,
    };
    const signed = signRequest(request, wallet.keyPair.secretKey, JSON.stringify(request));
    const res = await fetch(`${h.url}/v1/infer`, { method: 'POST', headers: signed.headers, body: signed.body });
    const body = (await res.json()) as { error: string; message: string };
    expect(res.status).toBe(402);
    expect(body.error).toBe('insufficient_funds');
    // Amounts are billing units (one token is one unit at the 10000 bps prompt multiplier of this network).
    expect(body.message).toMatch(/62501 units/);
    expect(await jobExists(requestId)).toBe(false);
    expect(await h.proxy.counters.clientTokens(client.account.toRawString())).toBe(0n);
    // What the balance does cover is served and charged.
    const ok = await client.infer(h.model.hash, mlpInputs(100));
    expect(ok.tokens).toBe(101);
    expect(await h.proxy.counters.clientTokens(client.account.toRawString())).toBe(101n);
});

test('four requests at once from a small balance: the excess is refused, none is served free', async () => {
    const { client } = await newClient(h, 'small', { deposit: toNano('0.0162') });
    const { balance, price } = await client.accountData();
    const payable = balance / price;
    // Each request costs 8 tokens (1 + 7 rows): the balance (≈ 0.016 TON, 16–23 tokens) pays for two, not four.
    const fit = Number(payable / 8n);
    expect(fit).toBeGreaterThanOrEqual(1);
    expect(fit).toBeLessThan(4);
    const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) => client.infer(h.model.hash, mlpInputs(7, 50 + i))),
    );
    const served = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as ProxyError] : []));
    expect(served).toHaveLength(fit);
    expect(refused).toHaveLength(4 - fit);
    for (const err of refused) {
        expect(err).toBeInstanceOf(ProxyError);
        expect(err.status).toBe(402);
        expect(err.code).toBe('insufficient_funds');
    }
    // Every request served is charged, and the total stays within what the balance pays.
    const total = served.reduce((sum, r) => sum + r.tokens, 0);
    expect(await h.proxy.counters.clientTokens(client.account.toRawString())).toBe(BigInt(total));
    expect(BigInt(total)).toBeLessThanOrEqual(payable);
    expect(BigInt(client.latestVoucher!.cumulative)).toBe(BigInt(total));
    // Nothing stays reserved once the requests are over.
    expect(await h.redis.hlen(proxyKeys(h.prefix).reserved(client.account.toRawString()))).toBe(0);
});
