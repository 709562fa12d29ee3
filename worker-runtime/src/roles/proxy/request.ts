/**
 * Shape checks of `POST /v1/infer` bodies, before anything touches the chain or the queue. The signature, the
 * account and the inputs against the model's declared signature are checked by the service afterwards.
 */
import { Address } from '@ton/core';
import { SignedInferenceRequest } from '../../protocol/request';
import { refuse } from './errors';

const HEX64 = /^[0-9a-f]{64}$/i;

export function parseInferBody(body: unknown): SignedInferenceRequest & { accountAddress: Address } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        refuse(
            'bad_request',
            'the body must be a JSON object {requestId, model, inputs, account, validUntil, signature}',
        );
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
    let accountAddress: Address;
    try {
        accountAddress = Address.parse(String(b.account));
    } catch {
        return refuse('bad_request', 'account must be your ClientAccount address (friendly or raw form)');
    }
    if (typeof b.validUntil !== 'number' || !Number.isInteger(b.validUntil) || b.validUntil < 0) {
        refuse('bad_request', 'validUntil must be a unix time in seconds');
    }
    if (typeof b.signature !== 'string' || !/^[0-9a-f]{128}$/i.test(b.signature)) {
        refuse('bad_request', 'signature must be a 64-byte Ed25519 signature as 128 hex characters');
    }
    return {
        requestId: b.requestId.toLowerCase(),
        model: b.model.toLowerCase(),
        inputs: b.inputs as Record<string, unknown>,
        account: b.account as string,
        validUntil: b.validUntil,
        signature: b.signature,
        accountAddress,
    };
}
