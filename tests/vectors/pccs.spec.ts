import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import {
    AttestationVerdict,
    Collateral,
    createPccsSource,
    parseQuote,
    PccsError,
    PccsOptions,
    verifyAttestation,
    verifyCollateral,
    verifyQuote,
} from '../../worker-runtime/src/tee';
import { chrysalis } from '../fixtures/cli';
import { COLLATERAL_DIR, readCollateralFile, SAMPLE_ROOT_PEM, VERIFY_AT } from './testdata';
import { rejection } from '../fixtures/rejection';

const FMSPC = 'ed742af8adf5'; // of the sample quote's PCK certificate and of the sample TCB info
const TCB_NEXT_UPDATE = Date.parse('2041-08-06T13:55:15Z'); // TCB info and QE identity
const HOUR = 3_600_000;

const file = (name: string) => readCollateralFile(name);
const fromFiles = (): Collateral => ({
    tcbInfoJson: file('tcbInfo.json').toString('utf8'),
    qeIdentityJson: file('qeIdentity.json').toString('utf8'),
    tcbSigningChainPem: file('tcbSignChain.pem').toString('utf8'),
});

interface Reply {
    status?: number;
    body?: Buffer | string;
    headers?: Record<string, string>;
    /** Never answer (timeout tests). */
    hang?: boolean;
}

/**
 * A PCCS on 127.0.0.1 serving Intel's sample collateral the way the DCAP v4 API does: JSON bodies, issuer chains as
 * URL-encoded PEM headers, CRLs as DER. Routes can be overridden per test; every request is counted.
 */
class SamplePccs {
    readonly hits: string[] = [];
    readonly apiKeys: (string | undefined)[] = [];
    readonly overrides = new Map<string, Reply>();
    private readonly server = http.createServer((req, res) => this.handle(req, res));
    url = '';

    async start(): Promise<this> {
        await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
        return this;
    }

    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise((resolve) => this.server.close(resolve));
    }

    count(prefix: string): number {
        return this.hits.filter((h) => h.startsWith(prefix)).length;
    }

    private route(pathname: string, query: URLSearchParams): Reply {
        const chain = (name: string) => encodeURIComponent(file(name).toString('utf8'));
        switch (pathname) {
            case '/tdx/certification/v4/tcb':
                if (query.get('fmspc')?.toLowerCase() !== FMSPC) return { status: 404, body: '' };
                return {
                    body: file('tcbInfo.json'),
                    headers: { 'Content-Type': 'application/json', 'TCB-Info-Issuer-Chain': chain('tcbSignChain.pem') },
                };
            case '/tdx/certification/v4/qe/identity':
                return {
                    body: file('qeIdentity.json'),
                    headers: {
                        'Content-Type': 'application/json',
                        'SGX-Enclave-Identity-Issuer-Chain': chain('tcbSignChain.pem'),
                    },
                };
            case '/sgx/certification/v4/pckcrl':
                if (query.get('ca') !== 'processor') return { status: 404, body: '' };
                return {
                    body: file('intermediateCaCrl.der'),
                    headers: {
                        'Content-Type': 'application/pkix-crl',
                        'SGX-PCK-CRL-Issuer-Chain': chain('pckSignChain.pem'),
                    },
                };
            case '/sgx/certification/v4/rootcacrl':
                return { body: file('rootCaCrl.der') };
            default:
                return { status: 404, body: 'no such route' };
        }
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        this.hits.push(`${url.pathname}${url.search}`);
        this.apiKeys.push(req.headers['ocp-apim-subscription-key'] as string | undefined);
        let reply: Reply;
        try {
            reply = this.overrides.get(url.pathname) ?? this.route(url.pathname, url.searchParams);
        } catch (err) {
            // Answer at once (a sample file that cannot be read must fail the test, not leave it waiting on a timeout).
            reply = { status: 500, body: String(err) };
        }
        if (reply.hang) return;
        res.writeHead(reply.status ?? 200, reply.headers ?? {});
        res.end(reply.body ?? '');
    }
}

function clock(start: Date) {
    let t = start.getTime();
    return { now: () => new Date(t), set: (ms: number) => (t = ms) };
}

const sampleQuote = () => file('quote.dat');
const roots = () => [SAMPLE_ROOT_PEM()];

describe('PCCS collateral source', () => {
    let pccs: SamplePccs;
    // Intel's sample data has the Processor CA's CRL only, so the sample PCCS serves no Platform CA CRL.
    const source = (options: Partial<PccsOptions> = {}) =>
        createPccsSource({ baseUrl: pccs.url, now: () => VERIFY_AT, pckCrls: ['processor'], ...options });

    beforeEach(async () => {
        pccs = await new SamplePccs().start();
    });
    afterEach(() => pccs.stop());

    it('fetches exactly the collateral a PCCS serves, and the verifier accepts it as it does the files', async () => {
        const collateral = await source().forFmspc(FMSPC);
        expect(collateral).toEqual(fromFiles());
        const options = { roots: roots(), at: VERIFY_AT };
        expect(verifyCollateral(collateral, options)).toEqual(verifyCollateral(fromFiles(), options));
        expect(pccs.hits.sort()).toEqual([
            `/tdx/certification/v4/qe/identity`,
            `/tdx/certification/v4/tcb?fmspc=${FMSPC}`,
        ]);
    });

    it('plugs into the policy: the sample quote gets the same collateral verdict as with collateral from files', async () => {
        const source_ = source();
        const registry = {
            isTestNetwork: () => false,
            workerImageAllowed: () => true,
            proxyImageAllowed: () => true,
        };
        const input = { quote: sampleQuote(), publicKey: Buffer.alloc(32), at: VERIFY_AT };
        const viaPccs = await verifyAttestation(input, {
            registry,
            role: 'worker',
            roots: roots(),
            collateral: source_.forFmspc,
            crls: await source_.crls(),
        });
        const viaFiles = await verifyAttestation(input, {
            registry,
            role: 'worker',
            roots: roots(),
            collateral: () => fromFiles(),
            crls: [file('rootCaCrl.der')],
        });
        // The Intel sample collateral does not describe its own sample quote (see docs/attestation.md).
        expect(viaPccs).toEqual(viaFiles);
        expect(viaPccs).toMatchObject({ valid: false, error: { code: 'collateral' } });
        expect((viaPccs as Extract<AttestationVerdict, { valid: false }>).error.message).toMatch(
            /below every TCB level/,
        );
    });

    it('feeds the policy a CRL source that it reads at each verification, and refuses when that source fails', async () => {
        const registry = { isTestNetwork: () => false, workerImageAllowed: () => true, proxyImageAllowed: () => true };
        const input = { quote: sampleQuote(), publicKey: Buffer.alloc(32), at: VERIFY_AT };
        const s = source();
        const policy = { registry, role: 'worker' as const, roots: roots(), collateral: s.forFmspc };
        const withList = await verifyAttestation(input, { ...policy, crls: await s.crls() });
        const withSource = await verifyAttestation(input, { ...policy, crls: () => s.crls() });
        expect(withSource).toEqual(withList);
        pccs.overrides.set('/sgx/certification/v4/rootcacrl', { status: 500, body: '' });
        const failing = await verifyAttestation(input, { ...policy, crls: () => source().crls() });
        expect(failing).toMatchObject({ valid: false, error: { code: 'collateral' } });
        expect((failing as Extract<AttestationVerdict, { valid: false }>).error.message).toMatch(
            /CRL source failed: .*rootcacrl/,
        );
    });

    it('serves the root CA CRL and the requested PCK CA CRLs as DER the chain check accepts', async () => {
        const crls = await source({ pckCrls: ['processor'] }).crls();
        expect(crls).toEqual([file('rootCaCrl.der'), file('intermediateCaCrl.der')]);
        expect(verifyQuote(sampleQuote(), { roots: roots(), at: VERIFY_AT, crls }).pck.fmspc).toBe(FMSPC);
        expect(await source({ pckCrls: [] }).crls()).toEqual([file('rootCaCrl.der')]);
        expect(pccs.hits).toContain('/sgx/certification/v4/pckcrl?ca=processor');
    });

    it('asks for both PCK CA CRLs by default, since a PCK certificate may come from either CA', async () => {
        const err = await rejection(createPccsSource({ baseUrl: pccs.url, now: () => VERIFY_AT }).crls(), PccsError);
        expect(err.url).toContain('/sgx/certification/v4/pckcrl?ca=platform');
        expect(pccs.hits).toContain('/sgx/certification/v4/pckcrl?ca=processor');
    });

    it('reads CRLs sent as PEM or as hex text (PCCS v3)', async () => {
        const der = file('rootCaCrl.der');
        const pem = `-----BEGIN X509 CRL-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END X509 CRL-----\n`;
        pccs.overrides.set('/sgx/certification/v4/rootcacrl', { body: pem });
        expect(await source().rootCaCrl()).toEqual(der);
        pccs.overrides.set('/sgx/certification/v4/rootcacrl', { body: der.toString('hex') });
        expect(await source().rootCaCrl()).toEqual(der);
    });

    it('caches each item until shortly before its nextUpdate', async () => {
        const time = clock(VERIFY_AT);
        const s = source({ now: time.now, maxAgeMs: Infinity, refreshBeforeMs: HOUR });
        await s.forFmspc(FMSPC);
        await s.crls();
        const requests = pccs.hits.length;
        expect(requests).toBe(4);
        await s.forFmspc(FMSPC.toUpperCase());
        await s.crls();
        expect(pccs.hits.length).toBe(requests);

        time.set(TCB_NEXT_UPDATE - 2 * HOUR);
        await s.forFmspc(FMSPC);
        expect(pccs.hits.length).toBe(requests);
        time.set(TCB_NEXT_UPDATE - HOUR / 2); // inside the refresh window
        await s.forFmspc(FMSPC);
        expect(pccs.count('/tdx/certification/v4/tcb')).toBe(2);
        expect(pccs.count('/tdx/certification/v4/qe/identity')).toBe(2);
        time.set(TCB_NEXT_UPDATE + 1000); // the sample server still sends the old items: after nextUpdate, ask again
        await s.forFmspc(FMSPC);
        expect(pccs.count('/tdx/certification/v4/tcb')).toBe(3);
    });

    it('fetches anew after maxAgeMs whatever nextUpdate says', async () => {
        const time = clock(VERIFY_AT);
        const s = source({ now: time.now, maxAgeMs: 24 * HOUR });
        await s.forFmspc(FMSPC);
        time.set(VERIFY_AT.getTime() + 23 * HOUR);
        await s.forFmspc(FMSPC);
        expect(pccs.count('/tdx/certification/v4/tcb')).toBe(1);
        time.set(VERIFY_AT.getTime() + 25 * HOUR);
        await s.forFmspc(FMSPC);
        expect(pccs.count('/tdx/certification/v4/tcb')).toBe(2);
    });

    it('serves a still-current item when its refresh fails, and fails once it has expired', async () => {
        const time = clock(VERIFY_AT);
        const s = source({ now: time.now, maxAgeMs: Infinity, retryAfterMs: 60_000 });
        const first = await s.forFmspc(FMSPC);
        pccs.overrides.set('/tdx/certification/v4/tcb', { status: 503, body: 'maintenance' });
        time.set(TCB_NEXT_UPDATE - HOUR / 2);
        expect(await s.forFmspc(FMSPC)).toEqual(first);
        expect(await s.forFmspc(FMSPC)).toEqual(first); // no new attempt within retryAfterMs
        expect(pccs.count('/tdx/certification/v4/tcb')).toBe(2);
        time.set(TCB_NEXT_UPDATE + 1000);
        const err = await rejection(s.forFmspc(FMSPC), PccsError);
        expect(err.status).toBe(503);
        expect(err.message).toContain(`${pccs.url}/tdx/certification/v4/tcb?fmspc=${FMSPC}`);
    });

    it('coalesces concurrent requests for the same FMSPC and shares the QE identity between FMSPCs', async () => {
        const s = source();
        const results = await Promise.all(Array.from({ length: 8 }, () => s.forFmspc(FMSPC)));
        expect(results.every((r) => r.tcbInfoJson === results[0].tcbInfoJson)).toBe(true);
        expect(pccs.count('/tdx/certification/v4/tcb')).toBe(1);
        expect(pccs.count('/tdx/certification/v4/qe/identity')).toBe(1);
        const crls = await Promise.all([s.crls(), s.crls(), s.crls()]);
        expect(crls[2]).toEqual(crls[0]);
        expect(pccs.count('/sgx/certification/v4/rootcacrl')).toBe(1);

        const other = await Promise.allSettled([s.forFmspc('00806f050000'), s.forFmspc('00806f050000')]);
        expect(other.map((r) => r.status)).toEqual(['rejected', 'rejected']);
        expect(pccs.count('/tdx/certification/v4/tcb?fmspc=00806f050000')).toBe(1);
        expect(pccs.count('/tdx/certification/v4/qe/identity')).toBe(1);
    });

    it('does not cache failures', async () => {
        const s = source();
        pccs.overrides.set('/tdx/certification/v4/qe/identity', { status: 500, body: '' });
        await rejection(s.forFmspc(FMSPC), PccsError);
        pccs.overrides.clear();
        expect(await s.forFmspc(FMSPC)).toEqual(fromFiles());
        expect(pccs.count('/tdx/certification/v4/qe/identity')).toBe(2);
    });

    it('gives errors that name the URL for HTTP errors, bad bodies and missing headers', async () => {
        const tcbUrl = (fmspc: string) => `${pccs.url}/tdx/certification/v4/tcb?fmspc=${fmspc}`;
        const notFound = await rejection(source().forFmspc('00906ea10000'), PccsError);
        expect(notFound.status).toBe(404);
        expect(notFound.url).toBe(tcbUrl('00906ea10000'));
        expect(notFound.message).toMatch(/HTTP 404/);
        expect(notFound.message).toContain(tcbUrl('00906ea10000'));

        const qeUrl = `${pccs.url}/tdx/certification/v4/qe/identity`;
        const cases: [Reply, RegExp][] = [
            [{ status: 500, body: 'boom', headers: { 'Error-Message': 'database down' } }, /HTTP 500.*database down/],
            [{ body: '{"enclaveIdentity": {', headers: { 'SGX-Enclave-Identity-Issuer-Chain': 'x' } }, /not JSON/],
            [{ body: '{"signature":"00"}' }, /no "enclaveIdentity" object/],
            [{ body: file('qeIdentity.json') }, /lacks the SGX-Enclave-Identity-Issuer-Chain header/],
            [
                { body: file('qeIdentity.json'), headers: { 'SGX-Enclave-Identity-Issuer-Chain': '%E0%A4%A' } },
                /not URL-encoded/,
            ],
            [
                { body: file('qeIdentity.json'), headers: { 'SGX-Enclave-Identity-Issuer-Chain': 'hello' } },
                /no PEM certificate/,
            ],
        ];
        for (const [reply, message] of cases) {
            pccs.overrides.set('/tdx/certification/v4/qe/identity', reply);
            const err = await rejection(source().forFmspc(FMSPC), PccsError);
            expect(err.message).toMatch(message);
            expect(err.url).toBe(qeUrl);
            expect(err.message).toContain(qeUrl);
        }

        pccs.overrides.set('/tdx/certification/v4/tcb', {
            body: file('tcbInfo.json').toString().replace('"nextUpdate":"2041-08-06T13:55:15Z"', '"nextUpdate":"soon"'),
            headers: { 'TCB-Info-Issuer-Chain': encodeURIComponent(file('tcbSignChain.pem').toString()) },
        });
        expect((await rejection(source().forFmspc(FMSPC), PccsError)).message).toMatch(
            /TCB info has no readable nextUpdate/,
        );

        pccs.overrides.set('/sgx/certification/v4/rootcacrl', { body: '<html>login</html>' });
        const crl = await rejection(source().crls(), PccsError);
        expect(crl.message).toMatch(/not a CRL/);
        expect(crl.url).toBe(`${pccs.url}/sgx/certification/v4/rootcacrl`);
    });

    it('refuses a QE identity signed under another chain than the TCB info, after fetching both again', async () => {
        pccs.overrides.set('/tdx/certification/v4/qe/identity', {
            body: file('qeIdentity.json'),
            headers: { 'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(file('pckSignChain.pem').toString()) },
        });
        expect((await rejection(source().forFmspc(FMSPC), PccsError)).message).toMatch(/issuer chain differs/);
        expect(pccs.count('/tdx/certification/v4/qe/identity')).toBe(2);
    });

    it('times out a PCCS that does not answer, naming the URL', async () => {
        pccs.overrides.set('/tdx/certification/v4/qe/identity', { hang: true });
        const err = await rejection(source({ timeoutMs: 200 }).forFmspc(FMSPC), PccsError);
        expect(err.message).toMatch(/did not answer within 200 ms/);
        expect(err.url).toBe(`${pccs.url}/tdx/certification/v4/qe/identity`);
    });

    it('reports a PCCS that cannot be reached, and the policy refuses with a collateral error, never a throw', async () => {
        const down = await new SamplePccs().start();
        await down.stop();
        const s = createPccsSource({ baseUrl: down.url, now: () => VERIFY_AT });
        const err = await rejection(s.forFmspc(FMSPC), PccsError);
        expect(err.message).toMatch(/request failed/);
        expect(err.message).toContain(down.url);
        const verdict = await verifyAttestation(
            { quote: sampleQuote(), publicKey: Buffer.alloc(32), at: VERIFY_AT },
            {
                registry: { isTestNetwork: () => false, workerImageAllowed: () => true, proxyImageAllowed: () => true },
                role: 'worker',
                roots: roots(),
                collateral: s.forFmspc,
            },
        );
        expect(verdict).toMatchObject({ valid: false, error: { code: 'collateral' } });
        expect((verdict as Extract<AttestationVerdict, { valid: false }>).error.message).toContain(down.url);
    });

    it('sends the Intel PCS subscription key to the base URL only, and accepts a QCNL-style base', async () => {
        const s = createPccsSource({
            baseUrl: `${pccs.url}/sgx/certification/v4/`,
            apiKey: 'secret-key',
            now: () => VERIFY_AT,
        });
        expect(s.baseUrl).toBe(pccs.url);
        await s.forFmspc(FMSPC);
        expect(pccs.apiKeys).toEqual(['secret-key', 'secret-key']);

        // The root CA CRL may live elsewhere (Intel's CDP); the key is not sent there.
        const elsewhere = await new SamplePccs().start();
        try {
            const split = createPccsSource({
                baseUrl: pccs.url,
                apiKey: 'secret-key',
                rootCaCrlUrl: `${elsewhere.url}/sgx/certification/v4/rootcacrl`,
            });
            expect(await split.rootCaCrl()).toEqual(file('rootCaCrl.der'));
            expect(elsewhere.apiKeys).toEqual([undefined]);
        } finally {
            await elsewhere.stop();
        }
    });

    it('refuses a malformed FMSPC or base URL before any request', async () => {
        await expect(source().forFmspc('ed742af8')).rejects.toThrow(/not 6 bytes of hex/);
        expect(() => createPccsSource('pccs.local:8081')).toThrow(/not a URL|not http/);
        expect(pccs.hits).toEqual([]);
    });
});

describe('chrysalis attest verify --pccs', () => {
    let pccs: SamplePccs;

    beforeAll(async () => {
        pccs = await new SamplePccs().start();
    });
    afterAll(() => pccs.stop());

    const base = [
        'attest',
        'verify',
        path.join(COLLATERAL_DIR, 'quote.dat'),
        '--at',
        '2025-09-01',
        '--root',
        path.join(COLLATERAL_DIR, 'trustedRootCaCert.pem'),
        '--json',
    ];

    it('fetches collateral for the quote FMSPC and reaches the same verdict as --collateral <dir>', async () => {
        const viaPccs = await chrysalis(...base, '--pccs', pccs.url);
        const viaDir = await chrysalis(
            ...base,
            '--collateral',
            COLLATERAL_DIR,
            '--crl',
            path.join(COLLATERAL_DIR, 'rootCaCrl.der'),
        );
        expect(viaPccs.code).toBe(1);
        expect(JSON.parse(viaPccs.stdout)).toEqual(JSON.parse(viaDir.stdout));
        expect(JSON.parse(viaPccs.stdout)).toMatchObject({
            fmspc: FMSPC,
            error: expect.stringMatching(/^collateral: .*below every TCB level/),
        });
        expect(pccs.hits).toEqual(
            expect.arrayContaining([
                `/tdx/certification/v4/tcb?fmspc=${FMSPC}`,
                '/tdx/certification/v4/qe/identity',
                '/sgx/certification/v4/rootcacrl',
            ]),
        );
        expect(parseQuote(file('quote.dat')).header.version).toBe(4);
    });

    it('exits 1 with the URL when the PCCS fails, and refuses --pccs together with --collateral', async () => {
        pccs.overrides.set('/tdx/certification/v4/tcb', { status: 500, body: '' });
        const failed = await chrysalis(...base, '--pccs', pccs.url);
        pccs.overrides.clear();
        expect(failed.code).toBe(1);
        expect(failed.stderr).toContain(`HTTP 500`);
        expect(failed.stderr).toContain(`${pccs.url}/tdx/certification/v4/tcb?fmspc=${FMSPC}`);
        const both = await chrysalis(...base, '--pccs', pccs.url, '--collateral', COLLATERAL_DIR);
        expect(both.code).toBe(2);
    });
});
