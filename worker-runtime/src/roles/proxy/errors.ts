/**
 * What the HTTP API answers when it refuses a request: each refusal has a status and a stable code a client can act
 * on, and its message says what to do (top up, commit a voucher, fix the input, retry later).
 */
export type RefusalCode =
    | 'bad_request'
    | 'bad_signature'
    | 'expired'
    | 'unknown_model'
    | 'unknown_account'
    | 'account_not_active'
    | 'insufficient_funds'
    | 'uncommitted_usage'
    | 'invalid_input'
    | 'duplicate_request'
    | 'request_id_conflict'
    | 'body_too_large'
    | 'overloaded'
    | 'not_found'
    | 'no_worker'
    | 'state_rolled_back'
    | 'signed_before_recovery'
    | 'unavailable'
    // Generative endpoints: bad input, refused before anything is queued or reserved (docs/proxy.md).
    | 'bad_messages'
    | 'bad_prompt'
    | 'prompt_too_long'
    | 'bad_max_tokens'
    | 'bad_temperature'
    | 'bad_top_p'
    | 'bad_top_k'
    | 'bad_seed'
    | 'bad_stop'
    | 'bad_stream'
    | 'bad_timeout'
    | 'bad_embed_input'
    | 'bad_audio'
    | 'audio_not_16khz_mono'
    | 'audio_too_long'
    | 'wrong_task'
    | 'worker_failed';

const STATUS: Record<RefusalCode, number> = {
    bad_request: 400,
    bad_signature: 401,
    expired: 400,
    unknown_model: 404,
    unknown_account: 402,
    account_not_active: 402,
    insufficient_funds: 402,
    uncommitted_usage: 402,
    invalid_input: 400,
    duplicate_request: 409,
    request_id_conflict: 409,
    body_too_large: 413,
    overloaded: 503,
    not_found: 404,
    no_worker: 503,
    state_rolled_back: 503,
    signed_before_recovery: 400,
    unavailable: 503,
    bad_messages: 400,
    bad_prompt: 400,
    prompt_too_long: 400,
    bad_max_tokens: 400,
    bad_temperature: 400,
    bad_top_p: 400,
    bad_top_k: 400,
    bad_seed: 400,
    bad_stop: 400,
    bad_stream: 400,
    bad_timeout: 400,
    bad_embed_input: 400,
    bad_audio: 400,
    audio_not_16khz_mono: 400,
    audio_too_long: 400,
    wrong_task: 400,
    worker_failed: 502,
};

export class ProxyRefusal extends Error {
    readonly status: number;
    constructor(
        readonly code: RefusalCode,
        message: string,
        /** Seconds after which the same request may succeed (sent as `Retry-After`); only for 503s. */
        readonly retryAfterSeconds?: number,
        /** Fields a client can act on, sent next to `error` and `message` (e.g. `minValidUntil`). */
        readonly details?: Record<string, string | number>,
        /** Overrides the code's usual status (the generative endpoints answer an unknown model with 400). */
        status?: number,
    ) {
        super(message);
        this.name = 'ProxyRefusal';
        this.status = status ?? STATUS[code];
    }
}

export function refuse(
    code: RefusalCode,
    message: string,
    retryAfterSeconds?: number,
    details?: Record<string, string | number>,
    status?: number,
): never {
    throw new ProxyRefusal(code, message, retryAfterSeconds, details, status);
}
