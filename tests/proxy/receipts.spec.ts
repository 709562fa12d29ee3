/**
 * What the proxy lets out about a request after the fact: `GET /v1/receipts/:id` answers only a query signed by the
 * account's owner, and Redis (outside the TEE) holds no input or output hash of it in clear.
 */
import { ChrysalisClient, ProxyError } from '../../worker-runtime/src/client';
import { signReceiptQuery } from '../../worker-runtime/src/protocol/request';
import { SealedRecords } from '../../worker-runtime/src/roles/proxy/records';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { keysUnder } from '../fixtures/redis';
import { createHarness, devnetClient, Harness, mlpInputs, newClient } from './harness';

jest.setTimeout(60000);

let h: Harness;
let client: ChrysalisClient;
let served: Awaited<ReturnType<ChrysalisClient['infer']>>;

beforeAll(async () => {
    h = await createHarness({ area: 'proxy-receipts' });
    client = await devnetClient(h, { commitFraction: 0 });
    served = await client.infer(h.model.hash, mlpInputs(2, 3));
});

afterAll(async () => {
    await h?.close();
});

/** The chain's clock: what the proxy checks validity against. */
const now = () => h.chain.now();

async function query(requestId: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${h.url}/v1/receipts/${requestId}`, { headers });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test("the account's owner gets the record of its request (the SDK signs the query)", async () => {
    const record = await client.receipt(served.requestId);
    expect(record).toMatchObject({
        requestId: served.requestId,
        model: h.model.hash,
        workerKey: served.workerKey,
        receipt: served.receipt,
        tokens: served.tokens,
    });
    expect(record.outputs).toBeUndefined();
});

test('an unsigned query, or one whose signature covers another query, is refused', async () => {
    const unsigned = await query(served.requestId);
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.message).toMatch(/signed/);

    const c = h.net.client;
    const account = c.account.address.toString();
    // The owner's valid signature over a query for another request id does not open this one.
    const other = signReceiptQuery('ab'.repeat(32), account, (await now()) + 60, c.keyPair.secretKey);
    const replayed = await query(served.requestId, other);
    expect(replayed.status).toBe(401);
    expect(replayed.body.error).toBe('bad_signature');

    const expired = await query(
        served.requestId,
        signReceiptQuery(served.requestId, account, (await now()) - 10, c.keyPair.secretKey),
    );
    expect(expired.body.error).toBe('expired');

    // Signed with a key that is not the owner's.
    const forged = signReceiptQuery(served.requestId, account, (await now()) + 60, Buffer.alloc(64, 1) as Buffer);
    expect((await query(served.requestId, forged)).body.error).toBe('bad_signature');
});

test("another account's owner gets 404, as for a request that does not exist", async () => {
    const { client: stranger } = await newClient(h, 'receipt-stranger');
    const err = await stranger.receipt(served.requestId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect((err as ProxyError).status).toBe(404);
    expect((err as ProxyError).code).toBe('not_found');
    // The same answer as for an id nobody used.
    await expect(stranger.receipt('cd'.repeat(32))).rejects.toMatchObject({ status: 404, code: 'not_found' });
});

test("Redis holds no input or output hash of a request in clear: the charged record is sealed to the proxy's key", async () => {
    const { receipt } = served;
    const dump: string[] = [];
    for (const key of await keysUnder(h.redis, h.prefix)) {
        const type = await h.redis.type(key);
        dump.push(key);
        if (type === 'string') dump.push((await h.redis.getBuffer(key))!.toString('latin1'));
        else if (type === 'hash') dump.push(JSON.stringify(await h.redis.hgetall(key)));
        else if (type === 'set') dump.push(JSON.stringify(await h.redis.smembers(key)));
        else if (type === 'zset') dump.push(JSON.stringify(await h.redis.zrange(key, '0', '-1')));
        else if (type === 'list') dump.push(JSON.stringify(await h.redis.lrange(key, 0, -1)));
        else if (type === 'stream') dump.push(JSON.stringify(await h.redis.xrange(key, '-', '+')));
    }
    const all = dump.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const hash of [receipt.inputHash, receipt.outputHash, receipt.signature]) {
        expect(all.toLowerCase()).not.toContain(hash.toLowerCase());
    }
    // The record is there, sealed: it opens only with the proxy's key, and only under its own request id.
    const stored = await h.redis.get(proxyKeys(h.prefix).charged(served.requestId));
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(served.workerKey);
    const records = new SealedRecords(h.net.proxy.keyPair.secretKey.subarray(0, 32));
    expect(JSON.parse(records.open(served.requestId, stored!)).receipt).toEqual(receipt);
    expect(() => records.open('ef'.repeat(32), stored!)).toThrow(/authentication/);
    expect(() => new SealedRecords(Buffer.alloc(32, 5)).open(served.requestId, stored!)).toThrow(/authentication/);
});
