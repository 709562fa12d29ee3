/**
 * One error type for everything attestation refuses, with a machine-readable code so callers (the proxy, the
 * worker, the CLI) can tell a malformed quote from a forged one from a policy refusal without parsing messages.
 */
export type AttestationErrorCode =
    | 'malformed' // bytes that are not a quote of a supported layout
    | 'unsupported' // a well-formed quote of a kind we do not accept (SGX, another key type)
    | 'certificate' // PCK chain, pinned root, validity, CRL
    | 'signature' // QE report or quote signature, attestation-key binding
    | 'collateral' // TCB info / QE identity signatures or contents
    | 'binding' // report_data does not commit to the presented key and nonce
    | 'policy' // verified, but not acceptable here (image, debug, TCB status, simulated)
    | 'provider'; // quote generation failed

export class AttestationError extends Error {
    constructor(
        readonly code: AttestationErrorCode,
        message: string,
    ) {
        super(message);
        this.name = 'AttestationError';
    }
}

export function fail(code: AttestationErrorCode, message: string): never {
    throw new AttestationError(code, message);
}
