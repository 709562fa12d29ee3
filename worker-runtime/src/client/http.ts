/** A small JSON-over-HTTP helper for the SDK: the proxy's refusals come back as {@link ProxyError}s. */

export class ProxyError extends Error {
    constructor(
        readonly status: number,
        /** The proxy's refusal code (e.g. `insufficient_funds`), or `http_<status>`. */
        readonly code: string,
        message: string,
        /** The refusal's other fields (e.g. `minValidUntil` of `signed_before_recovery`). */
        readonly details: Record<string, unknown> = {},
    ) {
        super(`${status} ${code}: ${message}`);
        this.name = 'ProxyError';
    }
}

export async function requestJson<T>(
    baseUrl: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs = 60000,
): Promise<T> {
    const raw = body === undefined ? undefined : { body: JSON.stringify(body), headers: JSON_HEADERS };
    return send<T>(baseUrl, method, path, raw, timeoutMs);
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** POSTs a signed request (protocol/request.ts `signRequest`): its exact body bytes and its headers. */
export function postSigned<T>(
    baseUrl: string,
    path: string,
    signed: { body: string; headers: Record<string, string> },
    timeoutMs = 60000,
): Promise<T> {
    return send<T>(baseUrl, 'POST', path, signed, timeoutMs);
}

async function send<T>(
    baseUrl: string,
    method: 'GET' | 'POST',
    path: string,
    payload: { body: string; headers: Record<string, string> } | undefined,
    timeoutMs: number,
): Promise<T> {
    const res = await fetch(new URL(path, baseUrl), {
        method,
        headers: payload?.headers,
        body: payload?.body,
        signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
        parsed = text ? JSON.parse(text) : undefined;
    } catch {
        throw new ProxyError(res.status, `http_${res.status}`, text.slice(0, 200));
    }
    if (!res.ok) {
        const { error, message, ...details } = (parsed ?? {}) as { error?: string; message?: string };
        throw new ProxyError(res.status, error ?? `http_${res.status}`, message ?? text.slice(0, 200), details);
    }
    return parsed as T;
}
