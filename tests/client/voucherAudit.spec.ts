/**
 * Each charge voucher must charge exactly the usage of its response, priced by the registry's params read from
 * chain: a proxy-signed voucher inflated by 1,000 units is refused, counted, and never committed — the first voucher
 * of a (re)started session too, held to the account's charged count on chain; and a Proxy contract whose params
 * snapshot differs from its registry's is refused before an account is opened.
 */
import { toNano } from '@ton/core';
import { createHarness, devnetClient, Harness, mlpInputs, newClient } from '../proxy/harness';
import { startForgingRelay } from '../fixtures/forgingRelay';
import { ChrysalisClient, ReceiptError } from '../../worker-runtime/src/client';
import { ChrysalisClientOptions, ProxyParamsError } from '../../worker-runtime/src/client/client';
import { latestOpening } from '../../worker-runtime/src/client/opening';
import { clientMetrics } from '../../worker-runtime/src/client/voucherAudit';
import { proxyFromArgs } from '../../wrappers/Proxy';
import { createGateway } from '../../worker-runtime/src/gateway';

jest.setTimeout(60000);

let h: Harness;
beforeAll(async () => {
    h = await createHarness({ area: 'voucher-audit' });
});
afterAll(async () => h?.close());

async function discrepancies(): Promise<number> {
    const m = await clientMetrics.getSingleMetricAsString('chrysalis_client_voucher_discrepancies_total');
    return Number(/ (\d+)$/m.exec(m)![1]);
}

test('a proxy-signed voucher inflated by 1,000 units is refused and never committed', async () => {
    // The proxy (its own key) adds 1,000 units to the voucher of each answer after the first.
    const relay = await startForgingRelay(h.url, {
        inflateVouchers: { proxySecretKey: h.net.proxy.keyPair.secretKey, by: 1000n, from: 1 },
    });
    try {
        const warnings: string[] = [];
        // commitFraction 0: any accepted voucher would be committed at once.
        const client = await devnetClient(h, {
            proxyUrl: relay.url,
            commitFraction: 0,
            logger: { warn: (m) => warnings.push(m) },
        });
        // The session's first voucher is checked against the chain's charged count and committed at once.
        const first = await client.infer(h.model.hash, mlpInputs(1, 4));
        expect(client.latestVoucher?.cumulative).toBe(first.voucher.cumulative);
        const before = await client.accountData();
        expect(before.charged).toBe(BigInt(first.voucher.cumulative));
        const counted = await discrepancies();
        const attempt = client.infer(h.model.hash, mlpInputs(1, 5));
        await expect(attempt).rejects.toThrow(ReceiptError);
        await expect(attempt).rejects.toThrow(
            /is not the usage received priced by the registry \(expected \d+ or \d+\)$/,
        );
        expect(relay.forged).toBe(1);
        expect(client.latestVoucher?.cumulative).toBe(first.voucher.cumulative);
        expect((await client.accountData()).charged).toBe(before.charged);
        expect(await discrepancies()).toBe(counted + 1);
        // The gateway serves the count on /metrics.
        const gateway = await createGateway({ clients: [client], port: 0 });
        try {
            const text = await (await fetch(new URL('/metrics', gateway.url))).text();
            expect(text).toContain(`chrysalis_client_voucher_discrepancies_total ${counted + 1}`);
        } finally {
            await gateway.close();
        }
        expect(warnings).toEqual([expect.stringMatching(/^voucher discrepancy from proxy /)]);
    } finally {
        await relay.close();
    }
});

test("a (re)started session's first voucher must charge exactly its answer over the chain's charged count", async () => {
    // An account of its own, so that no earlier test's usage is in the proxy's count.
    const { client: opener, wallet } = await newClient(h, 'first-voucher');
    // Each session is a fresh SDK client of that account: no voucher kept from the one before.
    const session = (extra: Partial<ChrysalisClientOptions> = {}) =>
        ChrysalisClient.connect({
            proxyUrl: h.url,
            chain: h.chain,
            proxyAddress: h.net.proxy.contract.address,
            wallet: { address: wallet.wallet.address, sender: wallet.sender, keyPair: wallet.keyPair },
            attestationPolicy: { logger: { warn: () => undefined } },
            // The harness serves plain HTTP on its test network (as tests/proxy/harness.ts's clients do).
            allowPlainHttp: true,
            commitFraction: 0,
            ...extra,
        });
    const account = await opener.accountData();
    const unitsWorth = account.stake / account.price;

    // A first session, then a restart with nothing kept: each first voucher is the chain's charged count plus its own
    // answer, accepted and (commitFraction 0) committed at once.
    const s1 = await session();
    const a = await s1.infer(h.model.hash, mlpInputs(1, 6));
    expect((await s1.accountData()).charged).toBe(BigInt(a.voucher.cumulative));
    const s2 = await session();
    const b = await s2.infer(h.model.hash, mlpInputs(1, 6));
    const unit = BigInt(a.voucher.cumulative);
    expect(BigInt(b.voucher.cumulative)).toBe(2n * unit);
    expect((await s2.accountData()).charged).toBe(2n * unit);

    // Restarted behind a proxy that inflates the session's very first voucher, by less than the stake's worth (what
    // the old check let through): refused, not kept, not committed, logged and counted on /metrics.
    const by = unitsWorth / 2n;
    expect(by).toBeGreaterThan(0n);
    const relay = await startForgingRelay(h.url, {
        inflateVouchers: { proxySecretKey: h.net.proxy.keyPair.secretKey, by },
    });
    try {
        const warnings: string[] = [];
        const s3 = await session({ proxyUrl: relay.url, logger: { warn: (m) => warnings.push(m) } });
        const counted = await discrepancies();
        const attempt = s3.infer(h.model.hash, mlpInputs(1, 6));
        await expect(attempt).rejects.toThrow(ReceiptError);
        await expect(attempt).rejects.toThrow(
            new RegExp(
                `cumulative ${3n * unit + by} is not the usage received priced by the registry ` +
                    `\\(expected ${3n * unit} or ${3n * unit + 1n}\\); it counts ${by} units beyond the account's charged count`,
            ),
        );
        expect(relay.forged).toBe(1);
        expect(s3.latestVoucher).toBeNull();
        expect((await s3.accountData()).charged).toBe(2n * unit);
        expect(await discrepancies()).toBe(counted + 1);
        expect(warnings).toEqual([expect.stringMatching(/^voucher discrepancy from proxy /)]);
        const gateway = await createGateway({ clients: [s3], port: 0 });
        try {
            const text = await (await fetch(new URL('/metrics', gateway.url))).text();
            expect(text).toContain(`chrysalis_client_voucher_discrepancies_total ${counted + 1}`);
        } finally {
            await gateway.close();
        }
    } finally {
        await relay.close();
    }
});

test('a proxy whose params snapshot differs from the registry (lower minProxyStake) is refused before an account is opened', async () => {
    const owner = await h.chain.blockchain.treasury('rogue-proxy-owner');
    const rogue = h.chain.blockchain.openContract(
        await proxyFromArgs({
            owner: owner.address,
            publicKey: h.net.proxy.keyPair.publicKey,
            registry: h.net.registry.address,
            proxyId: 9n,
            paramsVersion: 1n,
            params: { ...h.net.params, minProxyStake: h.net.params.minProxyStake / 2n },
        }),
    );
    await rogue.send(owner.getSender(), { value: toNano('11') }, null);
    const c = h.net.client;
    const connect = ChrysalisClient.connect({
        proxyUrl: h.url,
        chain: h.chain,
        proxyAddress: rogue.address,
        wallet: { address: c.wallet.address, sender: c.sender, keyPair: c.keyPair },
    });
    await expect(connect).rejects.toThrow(ProxyParamsError);
    await expect(connect).rejects.toThrow(
        /params snapshot differs from its registry's \(e\.g\. minProxyStake \d+ vs \d+\)/,
    );
    // No ClientAccount was opened at the rogue proxy (the wallet never sent it an OpenClientAccount).
    expect(await latestOpening(h.chain, c.wallet.address, rogue.address)).toBeNull();
});
