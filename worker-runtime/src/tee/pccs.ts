/**
 * Collateral source backed by a PCCS or Intel PCS (DCAP API v4), for the attestation policy:
 *
 *     const pccs = createPccsSource({ baseUrl: 'https://pccs.example:8081' });
 *     const policy = { registry, role, collateral: pccs.forFmspc, crls: await pccs.crls() };
 *
 * It only fetches and caches: TCB info and QE identity come back as the exact JSON text the service sent, because
 * their signatures cover those bytes, and collateral.ts / certificates.ts verify signatures, chains and dates.
 */
import { AsnParser } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { Collateral } from './collateral';
import type { AttestationPolicy } from './policy';
import { PccsCache } from './pccsCache';
import { issuerChainHeader, PccsError, pccsGet, PccsResponse, signedJsonBody } from './pccsHttp';

export type PckCrlCa = 'processor' | 'platform';

/** Which Intel PCK CA issued a PCK certificate ("Intel SGX PCK Processor CA" or "… Platform CA"), from its issuer. */
export function pckIssuingCa(pckCertificate: { issuer: string }): PckCrlCa | undefined {
    if (/PCK Processor CA/.test(pckCertificate.issuer)) return 'processor';
    if (/PCK Platform CA/.test(pckCertificate.issuer)) return 'platform';
    return undefined;
}

export interface PccsOptions {
    /** PCCS or Intel PCS root, e.g. `https://pccs.example:8081` or `https://api.trustedservices.intel.com`. */
    baseUrl: string;
    /** Per request, body included. Default 10 s. */
    timeoutMs?: number;
    /** Intel PCS subscription key, sent as `Ocp-Apim-Subscription-Key` to `baseUrl` only. */
    apiKey?: string;
    /**
     * Where the Intel SGX Root CA CRL comes from. Default `{baseUrl}/sgx/certification/v4/rootcacrl` (a PCCS route);
     * for Intel PCS, which has no such route, the root CA's CRL distribution point.
     */
    rootCaCrlUrl?: string;
    /**
     * PCK CA CRLs that `crls()` includes besides the root CA CRL. Default both: a PCK certificate comes from the
     * Processor or the Platform CA, and the verifier applies each CRL only to a chain holding the CA that issued it.
     */
    pckCrls?: PckCrlCa[];
    /** Fetch an item anew this long before its nextUpdate. Default 1 h. */
    refreshBeforeMs?: number;
    /** Fetch an item anew after this long whatever its nextUpdate says. Default 24 h. */
    maxAgeMs?: number;
    /** After a failed refresh of a still-current item, serve it and try again after this long. Default 60 s. */
    retryAfterMs?: number;
    /** Clock for cache expiry; tests set it. Default the system clock. */
    now?: () => Date;
}

/** Intel PCS serves the root CA CRL from the root certificate's CRL distribution point, not from the API. */
export const INTEL_PCS_HOST = 'api.trustedservices.intel.com';
export const INTEL_ROOT_CA_CRL_URL = 'https://certificates.trustedservices.intel.com/IntelSGXRootCA.der';

const HOUR = 3_600_000;

interface SignedItem {
    json: string;
    chainPem: string;
    url: string;
}

function nextUpdateOf(response: PccsResponse, value: Record<string, unknown>, what: string): number {
    const next = typeof value.nextUpdate === 'string' ? Date.parse(value.nextUpdate) : NaN;
    if (Number.isNaN(next)) throw new PccsError(response.url, `${what} has no readable nextUpdate`);
    return next;
}

/** CRLs arrive as DER (PCCS v4, the Intel CDP), PEM (Intel PCS default) or hex text (PCCS v3); we keep DER. */
function crlDer(response: PccsResponse): { der: Buffer; nextUpdate: number } {
    const text = response.body.toString('latin1').trim();
    let der = response.body;
    if (text.startsWith('-----BEGIN')) der = Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    else if (/^([0-9a-fA-F]{2})+$/.test(text)) der = Buffer.from(text, 'hex');
    let crl: CertificateList;
    try {
        crl = AsnParser.parse(der, CertificateList);
    } catch (err) {
        throw new PccsError(response.url, `body is not a CRL (DER, PEM or hex): ${(err as Error).message}`);
    }
    // A CRL without nextUpdate is kept for maxAgeMs only.
    const next = crl.tbsCertList.nextUpdate?.getTime();
    return { der, nextUpdate: next === undefined ? Infinity : new Date(next).getTime() };
}

function samePem(a: string, b: string): boolean {
    const norm = (pem: string) =>
        (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END/g) ?? []).map((c) => c.replace(/\s/g, ''));
    const x = norm(a);
    const y = norm(b);
    return x.length === y.length && x.every((c) => y.includes(c));
}

export class PccsCollateralSource {
    readonly baseUrl: string;
    private readonly rootCaCrlUrl: string;
    private readonly timeoutMs: number;
    private readonly apiKey?: string;
    private readonly pckCrls: PckCrlCa[];
    private readonly signed: PccsCache<SignedItem>;
    private readonly crlCache: PccsCache<Buffer>;

    constructor(options: PccsOptions) {
        let base: URL;
        try {
            base = new URL(options.baseUrl);
        } catch {
            throw new Error(`PCCS base URL "${options.baseUrl}" is not a URL`);
        }
        if (base.protocol !== 'https:' && base.protocol !== 'http:')
            throw new Error(`PCCS base URL "${options.baseUrl}" is not http(s)`);
        // Accept the QCNL-style base (…/sgx/certification/v4/) that PCCS deployments are usually configured with.
        this.baseUrl = base.href.replace(/\/+$/, '').replace(/\/(sgx|tdx)\/certification\/v[34]$/, '');
        this.rootCaCrlUrl =
            options.rootCaCrlUrl ??
            (base.hostname === INTEL_PCS_HOST
                ? INTEL_ROOT_CA_CRL_URL
                : `${this.baseUrl}/sgx/certification/v4/rootcacrl`);
        this.timeoutMs = options.timeoutMs ?? 10_000;
        this.apiKey = options.apiKey;
        this.pckCrls = options.pckCrls ?? ['processor', 'platform'];
        const clock = options.now ?? (() => new Date());
        const cacheOptions = {
            now: () => clock().getTime(),
            refreshBeforeMs: options.refreshBeforeMs ?? HOUR,
            maxAgeMs: options.maxAgeMs ?? 24 * HOUR,
            retryAfterMs: options.retryAfterMs ?? 60_000,
        };
        this.signed = new PccsCache(cacheOptions);
        this.crlCache = new PccsCache(cacheOptions);
    }

    /**
     * TCB info for the FMSPC, TDX QE identity and their TCB Signing chain, for `AttestationPolicy.collateral`.
     * Bound, so it can be passed as is. Rejects with a `PccsError` naming the URL when the service fails.
     */
    readonly forFmspc = async (fmspc: string): Promise<Collateral> => {
        if (!/^[0-9a-fA-F]{12}$/.test(fmspc)) throw new Error(`FMSPC "${fmspc}" is not 6 bytes of hex`);
        const key = fmspc.toLowerCase();
        let [tcb, qe] = await Promise.all([this.tcbInfo(key), this.qeIdentity()]);
        if (!samePem(tcb.chainPem, qe.chainPem)) {
            // Intel rotated the TCB Signing key between the two fetches: take both again once.
            this.signed.invalidate(`tcb:${key}`);
            this.signed.invalidate('qe');
            [tcb, qe] = await Promise.all([this.tcbInfo(key), this.qeIdentity()]);
            if (!samePem(tcb.chainPem, qe.chainPem)) {
                throw new PccsError(
                    qe.url,
                    `QE identity issuer chain differs from the TCB info issuer chain of ${tcb.url}; both must be signed by the same TCB Signing certificate`,
                );
            }
        }
        return { tcbInfoJson: tcb.json, qeIdentityJson: qe.json, tcbSigningChainPem: tcb.chainPem };
    };

    /** The root CA CRL and the configured PCK CA CRLs (DER), for `AttestationPolicy.crls`. */
    async crls(): Promise<Buffer[]> {
        return Promise.all([this.rootCaCrl(), ...this.pckCrls.map((ca) => this.pckCrl(ca))]);
    }

    rootCaCrl(): Promise<Buffer> {
        return this.crlCache.get('root', () => this.fetchCrl(this.rootCaCrlUrl));
    }

    pckCrl(ca: PckCrlCa): Promise<Buffer> {
        if (ca !== 'processor' && ca !== 'platform')
            return Promise.reject(new Error(`PCK CRL CA "${String(ca)}" is not processor or platform`));
        // The SGX-PCK-CRL-Issuer-Chain header is not needed: the CRL is checked against the quote's own PCK chain.
        return this.crlCache.get(`pck:${ca}`, () =>
            this.fetchCrl(`${this.baseUrl}/sgx/certification/v4/pckcrl?ca=${ca}`),
        );
    }

    private tcbInfo(fmspc: string): Promise<SignedItem> {
        const url = `${this.baseUrl}/tdx/certification/v4/tcb?fmspc=${fmspc}`;
        return this.signed.get(`tcb:${fmspc}`, async () => {
            const response = await this.get(url);
            const { text, value } = signedJsonBody(response, 'tcbInfo');
            // PCCS for API v3 named it SGX-TCB-Info-Issuer-Chain; v4 (PCS and PCCS) uses TCB-Info-Issuer-Chain.
            const chainPem = issuerChainHeader(response, 'TCB-Info-Issuer-Chain', 'SGX-TCB-Info-Issuer-Chain');
            return { value: { json: text, chainPem, url }, expiresAt: nextUpdateOf(response, value, 'TCB info') };
        });
    }

    private qeIdentity(): Promise<SignedItem> {
        const url = `${this.baseUrl}/tdx/certification/v4/qe/identity`;
        return this.signed.get('qe', async () => {
            const response = await this.get(url);
            const { text, value } = signedJsonBody(response, 'enclaveIdentity');
            const chainPem = issuerChainHeader(response, 'SGX-Enclave-Identity-Issuer-Chain');
            return { value: { json: text, chainPem, url }, expiresAt: nextUpdateOf(response, value, 'QE identity') };
        });
    }

    private async fetchCrl(url: string): Promise<{ value: Buffer; expiresAt: number }> {
        const { der, nextUpdate } = crlDer(await this.get(url));
        return { value: der, expiresAt: nextUpdate };
    }

    private get(url: string): Promise<PccsResponse> {
        const own = url.startsWith(`${this.baseUrl}/`);
        return pccsGet(url, { timeoutMs: this.timeoutMs, apiKey: own ? this.apiKey : undefined });
    }
}

/** A caching PCCS / Intel PCS collateral source; `baseUrl` alone is enough for a PCCS. */
export function createPccsSource(options: PccsOptions | string): PccsCollateralSource {
    return new PccsCollateralSource(typeof options === 'string' ? { baseUrl: options } : options);
}

/**
 * The policy options that take TDX collateral and CRLs from a PCCS at `baseUrl` (empty: none, and the default policy
 * then refuses every TDX peer, whose TCB status is Unknown). Fetched lazily and cached until their nextUpdate.
 */
export function pccsPolicy(baseUrl: string, apiKey = ''): Pick<AttestationPolicy, 'collateral' | 'crls'> | undefined {
    if (baseUrl === '') return undefined;
    const pccs = createPccsSource({ baseUrl, apiKey: apiKey || undefined });
    return { collateral: pccs.forFmspc, crls: () => pccs.crls() };
}
