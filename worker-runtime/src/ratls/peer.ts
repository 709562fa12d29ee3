/**
 * What a client checks of a proxy's TLS certificate before it lets a request onto the connection:
 *
 *   1. pinned? The first verified connection pins the SHA-256 of the certificate's SubjectPublicKeyInfo; any later
 *      connection presenting another key is refused at once, however good its attestation.
 *   2. the attestation extension names the Ed25519 key the Proxy contract holds (the key vouchers are signed with);
 *   3. the registry lists a proxy with that key at that Proxy contract;
 *   4. the quote verifies (DCAP, or simulated on a test network only), runs an image on the registry's proxy
 *      allow-list, and its report_data commits to that Ed25519 key and to this TLS key (tee/binding.ts raTlsNonce).
 *
 * The TLS handshake itself proved that the server holds the private key of the certificate's public key, so a
 * relay that replays the proxy's certificate cannot finish it, and one that presents its own key fails 1 or 4.
 * Steps 2–4 are repeated, for the pinned key, after `recheckMs` (the registry may drop the proxy or its image).
 */
import type { X509Certificate } from 'node:crypto';
import type { AttestationPolicy, RegistryView } from '../tee';
import { verifyAttestation, raTlsNonce } from '../tee';
import { readRaTlsCertificate } from './certificate';
import { RaTlsError } from './errors';

export interface ProxyIdentity {
    /** The Ed25519 key the Proxy contract holds (32 bytes). */
    proxyKey: Buffer;
    /**
     * The registry as the policy sees it (test-network flag, proxy image allow-list) and whether it lists a proxy
     * with `proxyKey` at this Proxy contract. Read at the first handshake and at each re-check.
     */
    registry(): Promise<{ view: RegistryView; registered: boolean }>;
    policy?: Omit<AttestationPolicy, 'registry' | 'role'>;
}

export class RaTlsVerifier {
    private pin: Buffer | null = null;
    private verifiedAt = 0;
    /** One verification at a time: connections opened together share it. */
    private inFlight: Promise<void> | null = null;

    constructor(
        private readonly identity: ProxyIdentity,
        /** How long a verified key is trusted before steps 2–4 run again (default 10 minutes). */
        private readonly recheckMs = 10 * 60_000,
    ) {}

    /** SHA-256 of the pinned key's SubjectPublicKeyInfo (hex), or null before the first verified connection. */
    get pinned(): string | null {
        return this.pin?.toString('hex') ?? null;
    }

    /**
     * Resolves when the certificate the handshake presented (`getPeerX509Certificate()`) may carry requests; throws
     * RaTlsError.
     */
    async check(cert: X509Certificate): Promise<void> {
        const { spkiSha256, evidence } = readRaTlsCertificate(cert);
        if (this.pin && !this.pin.equals(spkiSha256)) {
            throw new RaTlsError(
                'pin_mismatch',
                `the proxy presented TLS key ${spkiSha256.toString('hex')}, not the pinned ${this.pin.toString('hex')}`,
            );
        }
        if (this.pin && Date.now() - this.verifiedAt < this.recheckMs) return;
        while (this.inFlight) await this.inFlight.catch(() => undefined);
        if (this.pin && Date.now() - this.verifiedAt < this.recheckMs) return this.check(cert);
        const run = this.verify(spkiSha256, evidence);
        this.inFlight = run;
        try {
            await run;
        } finally {
            this.inFlight = null;
        }
    }

    private async verify(spkiSha256: Buffer, evidence: ReturnType<typeof readRaTlsCertificate>['evidence']) {
        if (!evidence) throw new RaTlsError('no_evidence', 'the certificate carries no attestation extension');
        if (!evidence.proxyKey.equals(this.identity.proxyKey)) {
            throw new RaTlsError(
                'wrong_key',
                `the attested key ${evidence.proxyKey.toString('hex')} is not the Proxy contract's ` +
                    this.identity.proxyKey.toString('hex'),
            );
        }
        const { view, registered } = await this.identity.registry();
        if (!registered) {
            throw new RaTlsError('not_registered', 'the registry lists no proxy with this key at this Proxy contract');
        }
        const verdict = await verifyAttestation(
            { document: evidence.document, publicKey: evidence.proxyKey, nonce: raTlsNonce(spkiSha256) },
            { ...this.identity.policy, registry: view, role: 'proxy' },
        );
        if (!verdict.valid) {
            throw new RaTlsError('attestation', `${verdict.error.code}: ${verdict.error.message}`);
        }
        // Pinned only now: a refused key never becomes the pin.
        if (this.pin && !this.pin.equals(spkiSha256)) {
            throw new RaTlsError('pin_mismatch', 'another key was pinned meanwhile');
        }
        this.pin = spkiSha256;
        this.verifiedAt = Date.now();
    }
}
