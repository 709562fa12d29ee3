/**
 * Providers produce attestation documents: the serialisable form that workers and proxies exchange over HTTP and
 * Redis. `kind` says how to verify `quote`; a simulated document can never pass as a TDX one because the TDX parser
 * refuses its magic and the policy refuses kind 'simulated' outside test networks.
 */
import { KeyObject } from 'node:crypto';
import { bindingReportData, Measurements } from './binding';
import { fail } from './errors';
import { createSimulatedQuote, generateSimulatedSigningKey } from './simulated';
import { TdxProvider, TdxProviderOptions } from './tdxProvider';

export type AttestationKind = 'tdx' | 'simulated';

export interface AttestationDocument {
    kind: AttestationKind;
    /** The quote bytes, base64. */
    quote: string;
}

export interface QuoteProvider {
    readonly kind: AttestationKind;
    /** A quote over exactly these 64 bytes of report data. */
    getQuote(reportData: Uint8Array): Promise<Buffer>;
}

export interface SimulatedProviderOptions {
    signingKey?: KeyObject;
    measurements?: Partial<Measurements>;
    debug?: boolean;
    logger?: { warn(message: string): void };
}

export class SimulatedProvider implements QuoteProvider {
    readonly kind = 'simulated' as const;
    private readonly signingKey: KeyObject;

    constructor(private readonly options: SimulatedProviderOptions = {}) {
        this.signingKey = options.signingKey ?? generateSimulatedSigningKey();
        (options.logger ?? console).warn(
            'SIMULATED ATTESTATION: this node produces software-signed quotes with NO TEE protection; only test networks accept them',
        );
    }

    async getQuote(reportData: Uint8Array): Promise<Buffer> {
        return createSimulatedQuote(reportData, {
            signingKey: this.signingKey,
            measurements: this.options.measurements,
            debug: this.options.debug,
        });
    }
}

export type ProviderConfig =
    ({ kind: 'tdx' } & TdxProviderOptions) | ({ kind: 'simulated' } & SimulatedProviderOptions);

export function createProvider(config: ProviderConfig): QuoteProvider {
    switch (config.kind) {
        case 'tdx':
            return new TdxProvider(config);
        case 'simulated':
            return new SimulatedProvider(config);
        default:
            fail(
                'provider',
                `unknown attestation provider kind "${(config as { kind: unknown }).kind}" (expected tdx or simulated)`,
            );
    }
}

/** The document a node presents for its Ed25519 identity key (and the verifier's nonce, when it sent one). */
export async function attest(
    provider: QuoteProvider,
    publicKey: Uint8Array,
    nonce?: Uint8Array,
): Promise<AttestationDocument> {
    const quote = await provider.getQuote(bindingReportData(publicKey, nonce));
    return { kind: provider.kind, quote: quote.toString('base64') };
}

export function encodeDocument(doc: AttestationDocument): string {
    return JSON.stringify({ kind: doc.kind, quote: doc.quote });
}

/** Validates an untrusted document (a JSON string or an already-parsed object) and returns it with its bytes. */
export function decodeDocument(input: string | unknown): AttestationDocument & { bytes: Buffer } {
    let value: unknown = input;
    if (typeof input === 'string') {
        try {
            value = JSON.parse(input);
        } catch {
            fail('malformed', 'attestation document is not JSON');
        }
    }
    const doc = value as Partial<AttestationDocument> | null;
    if (!doc || typeof doc !== 'object') fail('malformed', 'attestation document must be an object');
    if (doc.kind !== 'tdx' && doc.kind !== 'simulated')
        fail('malformed', `attestation document kind must be "tdx" or "simulated"`);
    if (typeof doc.quote !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(doc.quote) || doc.quote.length === 0) {
        fail('malformed', 'attestation document quote must be non-empty base64');
    }
    if (doc.quote.length > 64 * 1024) fail('malformed', 'attestation document quote is too large');
    return { kind: doc.kind, quote: doc.quote, bytes: Buffer.from(doc.quote, 'base64') };
}
