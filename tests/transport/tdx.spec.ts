/**
 * RA-TLS with a TDX quote, as on a production network: the proxy's certificate carries a DCAP quote (a synthetic one
 * under a generated Intel-like PKI, tests/tee/syntheticQuote.ts) whose report_data binds the proxy key and the TLS
 * key; the SDK's transport verifies the PCK chain, the QE report, the quote signature, the image against the
 * registry and the binding before it sends a request. A simulated certificate is refused off a test network.
 */
import {
    createProvider,
    imageHashBigInt,
    parseQuote,
    QuoteProvider,
    raTlsNonce,
    RegistryView,
} from '../../worker-runtime/src/tee';
import { createRaTlsCertificate, spkiSha256 } from '../../worker-runtime/src/ratls/certificate';
import { RaTlsError } from '../../worker-runtime/src/ratls/errors';
import { ProxyIdentity, RaTlsVerifier } from '../../worker-runtime/src/ratls/peer';
import { tlsKeyFromScalar } from '../../worker-runtime/src/ratls/tlsKey';
import { RaTlsTransport } from '../../worker-runtime/src/ratls/transport';
import { createTdxWorld } from '../tee/syntheticQuote';
import { fakeProxy, randomScalar } from './peers';

jest.setTimeout(60_000);

const quiet = { warn: () => undefined };
const world = createTdxWorld();
const proxyKey = Buffer.alloc(32, 0x5a);
const tlsKey = tlsKeyFromScalar(randomScalar());
const spki = spkiSha256(tlsKey.publicKey);

/** The "kernel": a TDX quote over exactly the report data the proxy asks for (checked), from the synthetic world. */
const tdx: QuoteProvider = {
    kind: 'tdx',
    async getQuote(reportData) {
        const quote = world.quote(proxyKey, raTlsNonce(spki));
        if (!parseQuote(quote).body.reportData.equals(Buffer.from(reportData))) {
            throw new Error('the proxy asked for a quote over other report data than the RA-TLS binding');
        }
        return quote;
    },
};

/** A production registry (not a test network) allowing `images` for proxies. */
const registry = (images: bigint[]): RegistryView => ({
    isTestNetwork: () => false,
    workerImageAllowed: () => false,
    proxyImageAllowed: (h) => images.includes(h),
});

function verifier(images: bigint[], policy: ProxyIdentity['policy'] = {}): RaTlsVerifier {
    return new RaTlsVerifier({
        proxyKey,
        registry: async () => ({ view: registry(images), registered: true }),
        // No PCCS here: the TCB status is Unknown, accepted for the test (a deployment supplies collateral).
        policy: { roots: [world.root.cert], acceptedTcbStatuses: ['Unknown'], logger: quiet, ...policy },
    });
}

test('a TDX-attested proxy certificate passes DCAP, policy and binding, and the request goes through', async () => {
    const cert = await createRaTlsCertificate({ tlsKey, proxyKey, provider: tdx });
    const image = imageHashBigInt(parseQuote(Buffer.from(cert.document.quote, 'base64')).body);
    const proxy = await fakeProxy(cert);
    try {
        const v = verifier([image]);
        const res = await new RaTlsTransport(proxy.url, v).send({ method: 'GET', path: '/v1/models' });
        expect(res.status).toBe(200);
        expect(proxy.requests).toEqual(['GET /v1/models']);
        expect(v.pinned).toBe(spki.toString('hex'));
    } finally {
        await proxy.close();
    }
});

test('refused before any request: an image off the allow-list, a chain to another root, a simulated quote off a test network', async () => {
    const cert = await createRaTlsCertificate({ tlsKey, proxyKey, provider: tdx });
    const image = imageHashBigInt(parseQuote(Buffer.from(cert.document.quote, 'base64')).body);
    const simulated = await createRaTlsCertificate({
        tlsKey,
        proxyKey,
        provider: createProvider({ kind: 'simulated', logger: quiet }),
    });
    const cases: [typeof cert, RaTlsVerifier, RegExp][] = [
        [cert, verifier([]), /allow-list/],
        [cert, verifier([image], { roots: undefined }), /certificate|chain|root/i],
        [simulated, verifier([image]), /not a test network/],
    ];
    for (const [c, v, why] of cases) {
        const proxy = await fakeProxy(c);
        try {
            const err = await new RaTlsTransport(proxy.url, v)
                .send({ method: 'GET', path: '/v1/models' })
                .catch((e: unknown) => e);
            expect(err).toBeInstanceOf(RaTlsError);
            expect((err as RaTlsError).code).toBe('attestation');
            expect((err as Error).message).toMatch(why);
            expect(proxy.requests).toEqual([]);
            expect(v.pinned).toBeNull();
        } finally {
            await proxy.close();
        }
    }
});
