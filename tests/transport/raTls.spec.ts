/**
 * The confidential transport between the SDK (and the gateway over it) and the proxy: RA-TLS with the proxy's
 * simulated attestation on a test network, a real proxy role, real sandbox registry, real sockets.
 *
 * - an observer relaying the TCP stream sees no plaintext of a request or its answer;
 * - a relay that terminates TLS with its own key (even carrying the proxy's quote) is refused before any request;
 * - a proxy whose quote binds another TLS key, or another Ed25519 key, is refused before any request;
 * - the key verified first is pinned: another validly attested key is refused, the same key after reconnects and a
 *   proxy restart is accepted;
 * - plain HTTP is refused unless the client opted in, and a proxy cannot opt in off a test network.
 */
import { createHash } from 'node:crypto';
import { SandboxChain } from '../../worker-runtime/src/chain';
import { ChrysalisClient } from '../../worker-runtime/src/client';
import { deployNetwork } from '../../worker-runtime/src/devnet/deployNetwork';
import { ConfigError } from '../../worker-runtime/src/errors';
import { createGateway } from '../../worker-runtime/src/gateway';
import { silentLogger } from '../../worker-runtime/src/observability';
import { createRaTlsCertificate } from '../../worker-runtime/src/ratls/certificate';
import { RaTlsError } from '../../worker-runtime/src/ratls/errors';
import { deriveTlsKey, tlsKeyFromScalar } from '../../worker-runtime/src/ratls/tlsKey';
import { ProxyRole } from '../../worker-runtime/src/roles/proxy';
import { bindingReportData, createProvider, raTlsNonce } from '../../worker-runtime/src/tee';
import { createHarness, devnetClient, Harness, mlpInputs, REDIS_URL, SpecAdmission } from '../proxy/harness';
import { fakeProxy, marker, ownCertificate, randomScalar, recordingRelay, spkiHashOf } from './peers';

jest.setTimeout(120_000);

const quiet = { warn: () => undefined };
let h: Harness;

beforeAll(async () => {
    h = await createHarness({ area: 'transport', proxyConfig: { plainHttp: false } });
});

afterAll(async () => {
    await h?.close();
});

/** The proxy's own certificate (what it serves). */
const proxyCert = () => h.proxy.tlsCertificate!;

test('the proxy serves RA-TLS: its certificate carries a quote binding its registered key and its TLS key', () => {
    expect(h.url).toMatch(/^https:\/\//);
    const cert = proxyCert();
    expect(spkiHashOf(cert.certPem)).toBe(cert.spkiSha256.toString('hex'));
    // The TLS key is derived from the proxy seed (so a restart presents the same key).
    const derived = deriveTlsKey(h.net.proxy.keyPair.secretKey.subarray(0, 32));
    const spki = derived.publicKey.export({ format: 'der', type: 'spki' });
    expect(createHash('sha256').update(spki).digest().equals(cert.spkiSha256)).toBe(true);
});

test('a TCP relay between the SDK (and the gateway) and the proxy records no plaintext of a request or its answer', async () => {
    const relay = await recordingRelay(new URL(h.url));
    try {
        const client = await devnetClient(h, { proxyUrl: relay.url, commitFraction: 0 });
        const requestId = marker();
        const res = await client.infer(h.model.hash, mlpInputs(2, 7), requestId);
        expect(res.requestId).toBe(requestId);
        // Through the gateway too: the same SDK transport carries its requests.
        const gateway = await createGateway({ clients: [client], port: 0 });
        let viaGateway: { requestId: string; receipt: { outputHash: string } };
        try {
            const r = await fetch(`${gateway.url}/infer`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ model: h.model.hash, inputs: mlpInputs(1, 9) }),
            });
            expect(r.status).toBe(200);
            viaGateway = (await r.json()) as typeof viaGateway;
        } finally {
            await gateway.close();
        }
        const bytes = relay.captured();
        expect(bytes.length).toBeGreaterThan(2000);
        expect(bytes[0]).toBe(0x16); // a TLS handshake record, not an HTTP request line
        const clear = [
            requestId,
            res.receipt.outputHash,
            res.receipt.inputHash,
            viaGateway.requestId,
            viaGateway.receipt.outputHash,
            '/v1/infer',
            'x-chrysalis-signature',
            h.net.client.account.address.toString(),
            '"receipt"',
            'HTTP/1.1',
        ];
        for (const text of clear) expect(bytes.includes(Buffer.from(text, 'latin1'))).toBe(false);
    } finally {
        await relay.close();
    }
});

test('a relay presenting its own certificate is refused before any request is sent, even with the proxy quote', async () => {
    for (const [cert, code] of [
        [await ownCertificate(proxyCert().certPem), 'attestation'],
        // The proxy's certificate embedded as PEM text: Node's X509Certificate(buffer) would parse that one instead.
        [await ownCertificate(proxyCert().certPem, proxyCert().certPem), 'attestation'],
        [await ownCertificate(), 'no_evidence'],
    ] as const) {
        const relay = await fakeProxy(cert);
        try {
            const client = await devnetClient(h, { proxyUrl: relay.url });
            const err = await client.catalog().catch((e: unknown) => e);
            expect(err).toBeInstanceOf(RaTlsError);
            expect((err as RaTlsError).code).toBe(code);
            // It was reached (a TCP connection, a TLS handshake on the client's side), and received nothing after it.
            expect(relay.connections).toBeGreaterThan(0);
            expect(relay.received).toBe(0);
            expect(relay.requests).toEqual([]);
        } finally {
            await relay.close();
        }
    }
});

test('a proxy whose quote does not bind its TLS key (or binds another proxy key) is refused before any request', async () => {
    const provider = createProvider({ kind: 'simulated', logger: quiet });
    const proxyKey = h.net.proxy.keyPair.publicKey;
    // A genuine quote over the right Ed25519 key, but over another TLS key than the one the certificate holds.
    const unbound = await createRaTlsCertificate({
        tlsKey: tlsKeyFromScalar(randomScalar()),
        proxyKey,
        provider: {
            kind: provider.kind,
            getQuote: () => provider.getQuote(bindingReportData(proxyKey, raTlsNonce(Buffer.alloc(32, 7)))),
        },
    });
    // A well-bound certificate of a key the Proxy contract does not hold.
    const stranger = await createRaTlsCertificate({
        tlsKey: tlsKeyFromScalar(randomScalar()),
        proxyKey: Buffer.alloc(32, 9),
        provider,
    });
    for (const [cert, code, message] of [
        [unbound, 'attestation', /binding/],
        [stranger, 'wrong_key', /not the Proxy contract/],
    ] as const) {
        const fake = await fakeProxy(cert);
        try {
            const client = await devnetClient(h, { proxyUrl: fake.url });
            const err = await client.catalog().catch((e: unknown) => e);
            expect(err).toBeInstanceOf(RaTlsError);
            expect((err as RaTlsError).code).toBe(code);
            expect((err as Error).message).toMatch(message);
            expect(fake.received).toBe(0);
            expect(fake.requests).toEqual([]);
        } finally {
            await fake.close();
        }
    }
});

test('the first verified key is pinned: another validly attested key is refused, the same key across reconnects and a restart is not', async () => {
    const client = await devnetClient(h);
    expect(client.tls.pinned).toBeNull();
    expect((await client.catalog()).map((m) => m.hash)).toEqual([h.model.hash]);
    expect(client.tls.pinned).toBe(proxyCert().spkiSha256.toString('hex'));

    // A second TLS key, attested as genuinely as the first (the same proxy key, an allowed image).
    const other = await createRaTlsCertificate({
        tlsKey: tlsKeyFromScalar(randomScalar()),
        proxyKey: h.net.proxy.keyPair.publicKey,
        provider: createProvider({ kind: 'simulated', logger: quiet }),
    });
    const impostor = await fakeProxy(other);
    try {
        // A client that pinned nothing yet accepts it: only the pin tells it apart.
        const fresh = await devnetClient(h, { proxyUrl: impostor.url });
        expect(await fresh.catalog()).toEqual([]);
        expect(impostor.requests).toEqual(['GET /v1/models']);
        impostor.requests.length = 0;
        const received = impostor.received;

        const original = client.proxyUrl;
        client.setProxyUrl(impostor.url);
        const err = await client.catalog().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RaTlsError);
        expect((err as RaTlsError).code).toBe('pin_mismatch');
        expect(impostor.requests).toEqual([]);
        expect(impostor.received).toBe(received);
        client.setProxyUrl(original);
    } finally {
        await impostor.close();
    }

    // Reconnections to the same key pass; a restarted proxy (same seed, new port) presents the same key.
    await client.catalog();
    await h.proxy.stop();
    await h.startProxy();
    client.setProxyUrl(h.url);
    expect((await client.catalog()).map((m) => m.hash)).toEqual([h.model.hash]);
    expect(client.tls.pinned).toBe(proxyCert().spkiSha256.toString('hex'));
});

test('plain HTTP: refused without the client opt-in, and a proxy cannot opt in off a test network', async () => {
    const relay = await fakeProxy(await ownCertificate());
    await relay.close();
    const http = relay.url.replace('https://', 'http://');
    const client = await devnetClient(h, { proxyUrl: http, allowPlainHttp: false });
    const err = await client.catalog().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RaTlsError);
    expect((err as RaTlsError).code).toBe('plain_http_refused');

    const chain = await SandboxChain.create();
    const net = await deployNetwork(chain, { workers: 1, models: ['tiny-mlp'], params: { isTestNetwork: false } });
    const proxy = new ProxyRole({
        chain,
        proxyAddress: net.proxy.contract.address,
        proxyKeys: net.proxy.keyPair,
        models: [],
        admission: new SpecAdmission(),
        config: { port: 0, redisUrl: REDIS_URL, prefix: 'unused', plainHttp: true, allowVolatileRedis: true },
        env: {},
        logger: silentLogger(),
    });
    await expect(proxy.start()).rejects.toThrow(ConfigError);
    await expect(proxy.start()).rejects.toThrow(/test network/);
    // And a client's opt-in means nothing there: the registry does not mark a test network.
    const c = net.client;
    const strict = await ChrysalisClient.connect({
        proxyUrl: 'http://127.0.0.1:1',
        chain,
        proxyAddress: net.proxy.contract.address,
        wallet: { address: c.wallet.address, sender: c.sender, keyPair: c.keyPair },
        allowPlainHttp: true,
    });
    await expect(strict.catalog()).rejects.toMatchObject({ code: 'plain_http_refused' });
});
