/**
 * Errors in OpenAI's shape, `{error: {message, type, param, code}}`, with the statuses OpenAI's SDKs map to their
 * typed errors (400 BadRequestError, 401 AuthenticationError, 402 → APIError, 404 NotFoundError, 5xx …). Every
 * refusal of the proxy and every failure of the SDK (bad receipt, unreachable proxy) is translated here, in one table.
 */
import { ProxyError } from '../client/http';
import { ReceiptError } from '../client/client';
import type { RefusalCode } from '../roles/proxy/errors';

export type OpenAIErrorType =
    | 'invalid_request_error'
    | 'authentication_error'
    | 'insufficient_quota'
    | 'not_found_error'
    | 'api_error'
    | 'service_unavailable';

export class GatewayError extends Error {
    constructor(
        readonly status: number,
        message: string,
        readonly type: OpenAIErrorType,
        readonly code: string | null = null,
        readonly param: string | null = null,
    ) {
        super(message);
        this.name = 'GatewayError';
    }

    toJSON() {
        return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
    }
}

/** A request field the gateway does not support (or a value it cannot honour): 400 naming the field. */
export function unsupported(
    param: string,
    why = 'is not supported by this gateway (see docs/client.md)',
): GatewayError {
    return new GatewayError(400, `'${param}' ${why}`, 'invalid_request_error', 'unsupported_parameter', param);
}

export function invalid(param: string, message: string, code = 'invalid_value'): GatewayError {
    return new GatewayError(400, message, 'invalid_request_error', code, param);
}

/** The proxy's refusals of one request field (`bad_<field>`): each must name the parameter (checked by tsc). */
type FieldRefusal = Exclude<Extract<RefusalCode, `bad_${string}`>, 'bad_request' | 'bad_signature'>;

/** The OpenAI parameter a proxy refusal code is about. */
export const PROXY_PARAM: Record<FieldRefusal, string> & Partial<Record<RefusalCode, string>> = {
    bad_messages: 'messages',
    bad_prompt: 'prompt',
    prompt_too_long: 'messages',
    bad_max_tokens: 'max_tokens',
    bad_temperature: 'temperature',
    bad_top_p: 'top_p',
    bad_top_k: 'top_k',
    bad_seed: 'seed',
    bad_stop: 'stop',
    bad_stream: 'stream',
    // A generation's `timeout_ms` (the proxy's native field; the OpenAI endpoints never send it, the SDK may).
    bad_timeout: 'timeout_ms',
    bad_embed_input: 'input',
    bad_audio: 'file',
    audio_not_16khz_mono: 'file',
    audio_too_long: 'file',
    unknown_model: 'model',
    wrong_task: 'model',
};

/** Translates what the SDK threw into the OpenAI error a caller gets. */
export function toGatewayError(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    if (err instanceof ProxyError) {
        const param = PROXY_PARAM[err.code as RefusalCode] ?? null;
        if (err.status === 402) {
            // Every refusal about the account's money (empty, closed, not opened, usage not yet committed).
            return new GatewayError(
                402,
                `${err.code}: ${proxyMessage(err)}`,
                'insufficient_quota',
                'insufficient_quota',
            );
        }
        if (err.code === 'unknown_model') {
            return new GatewayError(404, proxyMessage(err), 'not_found_error', 'model_not_found', 'model');
        }
        if (err.code === 'prompt_too_long') {
            return new GatewayError(400, proxyMessage(err), 'invalid_request_error', 'context_length_exceeded', param);
        }
        if (err.status === 400)
            return new GatewayError(400, proxyMessage(err), 'invalid_request_error', err.code, param);
        if (err.status === 503) return new GatewayError(503, proxyMessage(err), 'service_unavailable', err.code);
        // 401 bad_signature, 409 duplicate_request, 5xx: the gateway's or the network's fault, not the caller's.
        return new GatewayError(
            err.status >= 500 ? err.status : 502,
            `the proxy refused: ${err.message}`,
            'api_error',
            err.code,
        );
    }
    if (err instanceof ReceiptError) {
        return new GatewayError(502, `answer refused: ${err.message}`, 'api_error', 'receipt_invalid');
    }
    const message = (err as Error)?.message ?? String(err);
    return new GatewayError(500, `gateway error: ${message}`, 'api_error', 'internal_error');
}

function proxyMessage(err: ProxyError): string {
    return err.message.replace(/^\d+ [a-z_0-9]+: /, '');
}
