/**
 * The client side of `npm run devnet -- --processes` as processes: `chrysalis client open` opens the gateway's own
 * account, `chrysalis client serve` runs the OpenAI-compatible gateway, and the devnet's generative demo (a streamed
 * chat, an embedding batch, a transcription) goes through that process with the official `openai` package. The run
 * settles (the gateway commits as it stops) and reconciles with the gateway's wallet and account as a party of their
 * own. Then the gateway is killed with SIGKILL between requests, and in the middle of a stream, and started again
 * each time: with its voucher file it resumes where the dead one stopped (after a request lost in flight, accepting a
 * first voucher that counts it), and its commits settle everything the proxy metered for its account.
 */
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { ProcessDevnet, startProcessDevnet } from '../../worker-runtime/src/devnet/processes/orchestrator';
import { runOnDevnet } from '../../worker-runtime/src/devnet/run';
import { BalanceLedger } from '../../worker-runtime/src/devnet/ledger';
import { devnetParties } from '../../worker-runtime/src/devnet/deployNetwork';
import { alive } from '../fixtures/processes';
import { readFileSync } from 'node:fs';
import { billingUnits } from '../../worker-runtime/src/protocol/voucher';
import { UsageCounters } from '../../worker-runtime/src/roles/proxy/counters';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { closeRedisClient, createRedisClient } from '../../worker-runtime/src/queue';

jest.setTimeout(900_000);

let devnet: ProcessDevnet | null = null;

afterAll(async () => {
    await devnet?.stop();
});

/** The billed units of a gateway answer (the `chrysalis` extension). */
const unitsOf = (answer: unknown) => BigInt((answer as { chrysalis: { units: string } }).chrysalis.units);

test('the generative demo goes through the gateway process with the openai package, and the run reconciles', async () => {
    devnet = await startProcessDevnet({
        workers: 1,
        models: ['tiny-mlp'],
        generative: ['chat-think', 'embedder', 'whisper'],
        seed: `gateway-${randomBytes(3).toString('hex')}`,
    });
    const d = devnet;
    const gatewayPid = d.children.get('gateway')!.pid;
    expect(d.gatewayUrl()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const gatewayAccount = d.network.gatewayClient!.account;
    // Its own account, not the demo client's.
    expect(gatewayAccount.address.equals(d.network.client.account.address)).toBe(false);

    const result = await runOnDevnet(d, { requests: 12, concurrency: 2 });
    const g = result.generative!;
    expect(g.via).toMatch(/chrysalis client serve/);
    expect(g.errors).toEqual([]);
    expect(g.lines.map((l) => l.split(' ')[0])).toEqual(['chat-think', 'embedder', 'whisper']);
    expect(g.counts.completion + g.counts.reasoning).toBeGreaterThan(0n);
    expect(g.chatFirstTokenMs).toBeGreaterThan(0);
    // Settled by the gateway itself as it stopped (SIGTERM: it commits, then exits 0).
    expect(alive(gatewayPid)).toBe(false);
    expect(result.settlements.some((s) => s.party === 'gateway' && s.kind === 'charge' && s.success)).toBe(true);

    // The gateway's account was charged exactly the demo's usage, the demo client's exactly the tensor stream's,
    // and the proxy's count is both.
    expect(result.billing.map((c) => c.what)).toContain('gateway account: charged units = units metered');
    expect(result.billing.filter((c) => !c.ok)).toEqual([]);
    const charged = (await gatewayAccount.getAccountData()).charged;
    expect(charged).toBeGreaterThan(0n);
    expect(result.ledger.parties.map((p) => p.party)).toContain('gateway client');
    expect(result.ledger.parties.find((p) => p.party === 'gateway client')!.delta).toBeLessThan(0n);
    expect(result.ledger.strayMessages).toEqual([]);
    expect(result.ledger.imbalance).toBe(0n);
    expect(result.stream.failed).toBe(0);
    expect(result.reconciled).toBe(true);
});

test('the gateway killed -9 between requests and mid-stream, started again each time: what it used is settled, nothing lost', async () => {
    const d = devnet!;
    const account = d.network.gatewayClient!.account;
    const ledger = await BalanceLedger.open(d.network.chain, devnetParties(d.network));
    const before = (await account.getAccountData()).charged;
    const proxyBefore = (await d.network.proxy.contract.getProxyData()).chargedUnits;
    const ask = (url: string) => new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'Hello' }];
    const chat = async (api: OpenAI) =>
        unitsOf(await api.chat.completions.create({ model: 'chat-think', messages, max_tokens: 8 }));
    const gatewayLog = () => readFileSync(d.children.get('gateway')!.logFile, 'utf8');

    let openai = ask(await d.startGateway(0));
    const accepted: bigint[] = [];
    accepted.push(await chat(openai));
    accepted.push(unitsOf(await openai.embeddings.create({ model: 'embedder', input: ['one', 'two'] })));
    await d.kill('gateway');
    // Far below half the stake: the dead gateway committed nothing.
    expect((await account.getAccountData()).charged).toBe(before);

    // Started again with the same voucher file: its first voucher counts the dead one's usage too, and is accepted.
    openai = ask(await d.startGateway(0));
    expect(gatewayLog()).toMatch(/resumed 1 account\(s\) from it\)/);
    accepted.push(await chat(openai));

    // Killed in the middle of a stream: the proxy bills what was generated, which no voucher the gateway kept shows.
    const stream = await openai.chat.completions.create({
        model: 'chat-think',
        messages,
        max_tokens: 200,
        stream: true,
    });
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();
    await d.kill('gateway');
    await expect(
        (async () => {
            while (!(await chunks.next()).done);
        })(),
    ).rejects.toThrow();
    // The proxy has settled the lost request (billed it, released its reservation) before the next one.
    const redis = createRedisClient(d.redisUrl);
    const keys = proxyKeys(d.prefix);
    const raw = account.address.toRawString();
    try {
        for (let i = 0; i < 600 && (await redis.hlen(keys.reserved(raw))) > 0; i++) {
            await new Promise((r) => setTimeout(r, 100));
        }
        expect(await redis.hlen(keys.reserved(raw))).toBe(0);

        // Started again: it knows the dead one had a request in flight, and accepts a first voucher that counts it.
        openai = ask(await d.startGateway(0));
        expect(gatewayLog()).toMatch(/with requests lost in flight/);
        accepted.push(await chat(openai));
        await d.stopGateway();

        // Everything the proxy metered for the account is charged on chain: the accepted answers and the lost stream.
        const metered = billingUnits(await new UsageCounters(redis, d.prefix).clientCounts(raw), {
            prompt: d.network.params.promptMultiplierBps,
            cached: d.network.params.cachedMultiplierBps,
            completion: d.network.params.completionMultiplierBps,
            reasoning: d.network.params.reasoningMultiplierBps,
        });
        const charged = (await account.getAccountData()).charged;
        expect(charged).toBe(metered);
        const sum = accepted.reduce((a, b) => a + b, 0n);
        expect(accepted.every((u) => u > 0n)).toBe(true);
        expect(charged - before).toBeGreaterThan(sum);
        expect((await d.network.proxy.contract.getProxyData()).chargedUnits - proxyBefore).toBe(charged - before);
    } finally {
        await closeRedisClient(redis);
    }
    const balances = await ledger.close();
    expect(balances.strayMessages).toEqual([]);
    expect(balances.imbalance).toBe(0n);
});
