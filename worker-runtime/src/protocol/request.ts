import { Address } from '@ton/core';
import { ed25519Sign, ed25519Verify } from '../crypto/ed25519';
import { domainDigest } from './canonical';

/** What a client signs for one inference request. */
export interface InferenceRequest {
    /** 32 bytes as 64 hex characters, chosen by the client, unique per request. */
    requestId: string;
    /** The model hash as 64 hex characters. */
    model: string;
    /** Input tensors by name, as `{type, dims, data}`. */
    inputs: Record<string, unknown>;
    /** The client's ClientAccount contract address (friendly or raw form). */
    account: string;
    /** Unix time after which the proxy must refuse the request (limits replay of a captured request). */
    validUntil: number;
}

export interface SignedInferenceRequest extends InferenceRequest {
    /** Ed25519 signature (hex) by the client's wallet key over {@link requestDigest}. */
    signature: string;
}

const REQUEST_DOMAIN = 'chrysalis/request/v1';

/**
 * The digest a client signs: domain tag, then the canonical JSON of every field. The account address is normalised to
 * raw form so that friendly and raw spellings sign the same request.
 */
export function requestDigest(request: InferenceRequest): Buffer {
    const normalized = {
        requestId: request.requestId.toLowerCase(),
        model: request.model.toLowerCase(),
        inputs: request.inputs,
        account: Address.parse(request.account).toRawString(),
        validUntil: request.validUntil,
    };
    return domainDigest(REQUEST_DOMAIN, normalized);
}

export function signRequest(request: InferenceRequest, secretKey: Buffer): SignedInferenceRequest {
    return { ...request, signature: ed25519Sign(requestDigest(request), secretKey).toString('hex') };
}

export function verifyRequestSignature(request: SignedInferenceRequest, publicKey: Buffer): boolean {
    if (!/^[0-9a-f]{128}$/i.test(request.signature)) return false;
    return ed25519Verify(requestDigest(request), Buffer.from(request.signature, 'hex'), publicKey);
}
