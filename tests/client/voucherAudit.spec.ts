/**
 * Each charge voucher must charge exactly the usage of its response, priced by the registry's params read from
 * chain: a proxy-signed voucher inflated by 1,000 units is refused, counted, and never committed; and a Proxy
 * contract whose params snapshot differs from its registry's is refused before an account is opened.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { toNano } from '@ton/core';
import { createHarness, devnetClient, Harness, mlpInputs } from '../proxy/harness';
import { ChrysalisClient, ReceiptError } from '../../worker-runtime/src/client';
import { ProxyParamsError } from '../../worker-runtime/src/client/client';
import { latestOpening } from '../../worker-runtime/src/client/opening';
import { clientMetrics } from '../../worker-runtime/src/client/voucherAudit';
import { signVoucher } from '../../worker-runtime/src/protocol/voucher';
import { voucherFromJson, voucherToJson } from '../../worker-runtime/src/roles/proxy/vouchers';
import { parseVoucher } from '../../worker-runtime/src/protocol/voucher';
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
    let answers = 0;
    const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', async () => {
            const upstream = await fetch(new URL(req.url!, h.url), {
                method: req.method,
                // The signing headers travel as they came (the request itself is genuine).
                headers: Object.fromEntries(
                    Object.entries(req.headers).flatMap(([k, v]) =>
                        k.startsWith('x-chrysalis-') || k === 'content-type' ? [[k, String(v)]] : [],
                    ),
                ),
                body: req.method === 'GET' ? undefined : Buffer.concat(chunks),
            });
            let text = await upstream.text();
            if (req.url === '/v1/infer' && upstream.ok && ++answers > 1) {
                const answer = JSON.parse(text);
                const v = parseVoucher(voucherFromJson(answer.voucher).voucher);
                const inflated = { ...v, cumulative: v.cumulative + 1000n };
                const signed = signVoucher(inflated, h.net.proxy.keyPair.secretKey);
                answer.voucher = voucherToJson(signed, inflated.cumulative, v.target, v.validUntil);
                text = JSON.stringify(answer);
            }
            res.writeHead(upstream.status, { 'content-type': 'application/json' });
            res.end(text);
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
        const warnings: string[] = [];
        // commitFraction 0: any accepted voucher would be committed at once.
        const client = await devnetClient(h, {
            proxyUrl: url,
            commitFraction: 0,
            logger: { warn: (m) => warnings.push(m) },
        });
        // The session's first voucher (no kept voucher) sets where the count goes on from; it is committed at once.
        const first = await client.infer(h.model.hash, mlpInputs(1, 4));
        expect(client.latestVoucher?.cumulative).toBe(first.voucher.cumulative);
        const before = await client.accountData();
        expect(before.charged).toBe(BigInt(first.voucher.cumulative));
        const counted = await discrepancies();
        const attempt = client.infer(h.model.hash, mlpInputs(1, 5));
        await expect(attempt).rejects.toThrow(ReceiptError);
        await expect(attempt).rejects.toThrow(
            /is not the usage received priced by the registry \(expected \d+ or \d+\)/,
        );
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
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
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
