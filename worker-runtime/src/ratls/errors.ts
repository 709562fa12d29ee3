/**
 * Why a client refused a proxy's TLS connection before sending anything on it. The code says what failed; a refused
 * proxy is one the gateway fails over from (gateway/pool.ts).
 */
import { ChrysalisError } from '../errors';

export type RaTlsErrorCode =
    | 'malformed' // the certificate or its attestation extension does not parse
    | 'no_evidence' // the certificate carries no attestation extension
    | 'pin_mismatch' // another TLS key than the one pinned at the first verified connection
    | 'wrong_key' // the attested Ed25519 key is not the Proxy contract's
    | 'not_registered' // the registry lists no proxy with this key at this Proxy contract
    | 'attestation' // the quote failed verification or the registry's policy (image, test network, binding)
    | 'plain_http_refused'; // an http:// proxy without the opt-in on a test network

export class RaTlsError extends ChrysalisError {
    constructor(
        readonly code: RaTlsErrorCode,
        message: string,
    ) {
        super(`proxy refused (${code}): ${message}`);
    }
}
