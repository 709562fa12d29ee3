/**
 * Shape checks of `POST /v1/infer`, in the order that keeps refusals cheap: first the three headers (the account, the
 * body's hash and the signature over it, checked before the body is even read), then the parsed body.
 * The inputs against the model's declared signature are checked by the service afterwards.
 */
import { Address } from '@ton/core';
import { ACCOUNT_HEADER, BODY_HASH_HEADER, SIGNATURE_HEADER } from '../../protocol/request';
import { refuse } from './errors';

const HEX64 = /^[0-9a-f]{64}$/i;

export interface SignedHeaders {
    accountAddress: Address;
    /** The SHA-256 of the body the client signed (the body read later must hash to it). */
    bodyHash: Buffer;
    signature: string;
}

export interface InferBody {
    requestId: string;
    model: string;
    inputs: Record<string, unknown>;
    validUntil: number;
}

type Headers = Record<string, string | string[] | undefined>;

export function parseSignedHeaders(headers: Headers): SignedHeaders {
    const account = headers[ACCOUNT_HEADER];
    const signature = headers[SIGNATURE_HEADER];
    const hash = headers[BODY_HASH_HEADER];
    let accountAddress: Address;
    try {
        accountAddress = Address.parse(String(account));
    } catch {
        return refuse('bad_request', `the ${ACCOUNT_HEADER} header must be your ClientAccount address`);
    }
    if (typeof signature !== 'string' || !/^[0-9a-f]{128}$/i.test(signature)) {
        refuse(
            'bad_request',
            `the ${SIGNATURE_HEADER} header must be the Ed25519 signature (128 hex characters) of the body's digest`,
        );
    }
    if (typeof hash !== 'string' || !HEX64.test(hash)) {
        refuse('bad_request', `the ${BODY_HASH_HEADER} header must be the SHA-256 of the body (64 hex characters)`);
    }
    return { accountAddress, bodyHash: Buffer.from(hash, 'hex'), signature };
}

/** Parses an authenticated body; its account must be the one the headers named (and the signature checked). */
export function parseInferBody(raw: Buffer, accountAddress: Address): InferBody {
    let body: unknown;
    try {
        body = JSON.parse(raw.toString('utf8'));
    } catch {
        return refuse('bad_request', 'the body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        refuse('bad_request', 'the body must be a JSON object {requestId, model, inputs, account, validUntil}');
    }
    const b = body as Record<string, unknown>;
    if (typeof b.requestId !== 'string' || !HEX64.test(b.requestId) || /^\d+$/.test(b.requestId)) {
        refuse('bad_request', 'requestId must be 32 random bytes as 64 hex characters');
    }
    if (typeof b.model !== 'string' || !HEX64.test(b.model)) {
        refuse('bad_request', 'model must be the model hash (64 hex characters); see GET /v1/models');
    }
    if (typeof b.inputs !== 'object' || b.inputs === null || Array.isArray(b.inputs)) {
        refuse('bad_request', 'inputs must be an object mapping input names to {type, dims, data}');
    }
    let bodyAccount: Address | null = null;
    try {
        bodyAccount = Address.parse(String(b.account));
    } catch {
        // refused just below
    }
    if (!bodyAccount || !bodyAccount.equals(accountAddress)) {
        refuse('bad_request', `account must be your ClientAccount address, the one in the ${ACCOUNT_HEADER} header`);
    }
    if (typeof b.validUntil !== 'number' || !Number.isInteger(b.validUntil) || b.validUntil < 0) {
        refuse('bad_request', 'validUntil must be a unix time in seconds');
    }
    return {
        requestId: b.requestId.toLowerCase(),
        model: b.model.toLowerCase(),
        inputs: b.inputs as Record<string, unknown>,
        validUntil: b.validUntil,
    };
}
