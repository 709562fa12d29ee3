import { createHash } from 'node:crypto';
import { Address } from '@ton/core';
import { ed25519Sign, ed25519Verify } from '../crypto/ed25519';

/**
 * Request signing, the one implementation the SDK, the CLI, the devnet and the benchmarks use.
 *
 * A request travels as a JSON body `{requestId, model, inputs, account, validUntil}` and three headers: the
 * ClientAccount address, the SHA-256 of the body's bytes exactly as sent, and an Ed25519 signature by the account
 * owner's wallet key over
 *
 *   SHA-256("chrysalis/request/v2" ‖ 0x00 ‖ SHA-256(body))
 *
 * so the proxy authenticates a request from its headers alone, before it reads the body: a forged signature is refused
 * without receiving, hashing or parsing the upload. Once the body is in, its hash must be the signed one; only then is
 * it parsed, so nothing a stranger sends (deep nesting, megabytes of numbers) reaches a parser. The account in the body
 * must equal the header's. The body's digest also names the request: a second body under a known id is a conflict.
 */

/** What a client signs for one inference request. */
export interface InferenceRequest {
    /** 32 bytes as 64 hex characters, chosen by the client, unique per request. */
    requestId: string;
    /** The model hash as 64 hex characters. */
    model: string;
    /** Input tensors by name, as `{type, dims, data}` (the wire form: data is base64 of the elements' bytes). */
    inputs: Record<string, unknown>;
    /** The client's ClientAccount contract address (friendly or raw form). */
    account: string;
    /** Unix time after which the proxy must refuse the request (limits replay of a captured request). */
    validUntil: number;
}

/** A signed request, ready to POST: the exact body bytes and the headers that authenticate them. */
export interface SignedRequest {
    body: string;
    headers: Record<string, string>;
    /** The digest the signature covers (hex): also the request's identity for conflict checks. */
    digest: string;
}

export const REQUEST_DOMAIN = 'chrysalis/request/v2';
/** Header carrying the ClientAccount address (friendly or raw form). */
export const ACCOUNT_HEADER = 'x-chrysalis-account';
/** Header carrying the Ed25519 signature (128 hex characters) over {@link requestDigest}. */
export const SIGNATURE_HEADER = 'x-chrysalis-signature';

/** Header carrying the SHA-256 of the body's bytes (64 hex characters): what the signature covers. */
export const BODY_HASH_HEADER = 'x-chrysalis-body-sha256';

/** SHA-256 of the body's bytes. */
export function bodyHash(body: Buffer | string): Buffer {
    return createHash('sha256').update(body).digest();
}

/** The digest a client signs, from the body's SHA-256: the domain tag, a zero byte and that hash. */
export function digestOfBodyHash(hash: Buffer): Buffer {
    return createHash('sha256')
        .update(REQUEST_DOMAIN)
        .update(Buffer.from([0]))
        .update(hash)
        .digest();
}

/** The digest a client signs for `body`. */
export function requestDigest(body: Buffer | string): Buffer {
    return digestOfBodyHash(bodyHash(body));
}

/** The body a client sends for `request` (ids lower-cased; the account as given). */
export function encodeRequestBody(request: InferenceRequest): string {
    return JSON.stringify({
        requestId: request.requestId.toLowerCase(),
        model: request.model.toLowerCase(),
        inputs: request.inputs,
        account: request.account,
        validUntil: request.validUntil,
    });
}

/**
 * Signs `request` with the wallet's secret key (64 bytes) or a signer function (e.g. `ed25519Signer(secretKey)`, which
 * imports the key once).
 */
export function signRequest(
    request: InferenceRequest,
    key: Buffer | ((message: Buffer) => Buffer),
    body: string = encodeRequestBody(request),
): SignedRequest {
    const hash = bodyHash(body);
    const digest = digestOfBodyHash(hash);
    const signature = typeof key === 'function' ? key(digest) : ed25519Sign(digest, key);
    return {
        body,
        digest: digest.toString('hex'),
        headers: {
            'content-type': 'application/json',
            [ACCOUNT_HEADER]: Address.parse(request.account).toString(),
            [BODY_HASH_HEADER]: hash.toString('hex'),
            [SIGNATURE_HEADER]: signature.toString('hex'),
        },
    };
}

export function verifyRequestSignature(body: Buffer | string, signatureHex: string, publicKey: Buffer): boolean {
    if (!/^[0-9a-f]{128}$/i.test(signatureHex)) return false;
    return ed25519Verify(requestDigest(body), Buffer.from(signatureHex, 'hex'), publicKey);
}

/** Header carrying the Unix time until which a signed query (a GET, which has no body) may be answered. */
export const VALID_UNTIL_HEADER = 'x-chrysalis-valid-until';

/**
 * The document a receipt query (`GET /v1/receipts/:id`) signs. A GET carries no body: the proxy rebuilds this
 * document from the path and the headers, hashes it, and checks the same three signing headers as a request's (so an
 * inference request's signature, over another body, can never pass as a query's). The account is in raw form, so the
 * document does not depend on the address form the header uses.
 */
export function receiptQueryBody(requestId: string, account: string, validUntil: number): string {
    return JSON.stringify({
        query: 'receipt',
        requestId: requestId.toLowerCase(),
        account: Address.parse(account).toRawString(),
        validUntil,
    });
}

/** The headers of a receipt query signed by the account owner's wallet key (or a signer function). */
export function signReceiptQuery(
    requestId: string,
    account: string,
    validUntil: number,
    key: Buffer | ((message: Buffer) => Buffer),
): Record<string, string> {
    const hash = bodyHash(receiptQueryBody(requestId, account, validUntil));
    const digest = digestOfBodyHash(hash);
    const signature = typeof key === 'function' ? key(digest) : ed25519Sign(digest, key);
    return {
        [ACCOUNT_HEADER]: Address.parse(account).toString(),
        [BODY_HASH_HEADER]: hash.toString('hex'),
        [SIGNATURE_HEADER]: signature.toString('hex'),
        [VALID_UNTIL_HEADER]: String(validUntil),
    };
}
