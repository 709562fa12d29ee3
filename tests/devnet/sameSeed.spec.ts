/**
 * Two devnets with the same `--seed` (so the same keys, addresses and client account) running at once on one Redis:
 * each keeps its state under its own run prefix, bills only its own requests and cleans up only its own keys. A
 * private `redis-server`, so that every key in it can be accounted for (the shared one holds other runs' keys).
 */
import { Redis } from 'ioredis';
import { Devnet, startDevnet } from '../../worker-runtime/src/devnet/orchestrator';
import { demoInputs } from '../../worker-runtime/src/devnet/demoInputs';
import { registrySnapshotFile } from '../../worker-runtime/src/devnet/main';
import { PrivateRedis } from '../fixtures/privateRedis';

jest.setTimeout(300_000);

const SEED = 'same-seed-spec';
let redis: PrivateRedis;
let admin: Redis;
let a: Devnet | undefined;
let b: Devnet | undefined;
/** Units of one tiny-mlp request with demoInputs('tiny-mlp', 0). */
let unit = 0n;

beforeAll(async () => {
    redis = await PrivateRedis.start({ appendonly: false });
    admin = redis.client();
    const start = () =>
        startDevnet({
            workers: 1,
            models: ['tiny-mlp'],
            generative: [],
            seed: SEED,
            redisUrl: redis.url,
            logLevel: 'silent',
        });
    [a, b] = await Promise.all([start(), start()]);
});

afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
});

async function allKeys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
        const [next, batch] = await admin.scan(cursor, 'COUNT', 1000);
        keys.push(...batch);
        cursor = next;
    } while (cursor !== '0');
    return keys;
}

/** One paid tiny-mlp request from the devnet's demo client; the cumulative units of its charge voucher. */
async function paidRequest(devnet: Devnet, n: number): Promise<bigint> {
    const model = devnet.network.models.find((m) => m.name === 'tiny-mlp')!;
    const res = await devnet.client.infer(model.hashHex, demoInputs('tiny-mlp', n));
    return BigInt(res.voucher.cumulative);
}

test('same seed, same network identity, distinct run prefixes and snapshot files', () => {
    // Same wallets and registry; the client accounts differ, as each opening is an account of its own (docs/billing.md).
    expect(a!.network.client.wallet.address.equals(b!.network.client.wallet.address)).toBe(true);
    expect(a!.network.registry.address.equals(b!.network.registry.address)).toBe(true);
    expect(a!.prefix).not.toBe(b!.prefix);
    expect(registrySnapshotFile(a!.prefix)).not.toBe(registrySnapshotFile(b!.prefix));
});

test('each bills only its own requests, and every key in Redis is under one of the two run prefixes', async () => {
    // The same inputs cost the same units on both; B serves two requests, A one, interleaved.
    const a1 = await paidRequest(a!, 0);
    const b1 = await paidRequest(b!, 0);
    const b2 = await paidRequest(b!, 0);
    const a2 = await paidRequest(a!, 0);
    expect(a1).toBeGreaterThan(0n);
    unit = a1;
    expect(b1).toBe(a1);
    expect(b2).toBe(2n * a1);
    expect(a2).toBe(2n * a1);

    const keys = await allKeys();
    const stray = keys.filter((k) => !k.startsWith(`${a!.prefix}:`) && !k.startsWith(`${b!.prefix}:`));
    expect(stray).toEqual([]);
    expect(keys.some((k) => k.startsWith(`${a!.prefix}:`))).toBe(true);
    expect(keys.some((k) => k.startsWith(`${b!.prefix}:`))).toBe(true);
});

test("stopping one leaves the other's keys and service intact; stopping both leaves Redis empty", async () => {
    await a!.stop();
    a = undefined;
    const left = await allKeys();
    expect(left.length).toBeGreaterThan(0);
    expect(left.filter((k) => !k.startsWith(`${b!.prefix}:`))).toEqual([]);
    // B's ledger went on from its own count: two requests served earlier, this is its third.
    expect(unit).toBeGreaterThan(0n);
    expect(await paidRequest(b!, 0)).toBe(3n * unit);
    await b!.stop();
    b = undefined;
    expect(await allKeys()).toEqual([]);
});
