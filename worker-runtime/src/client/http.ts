/** JSON over the proxy transport for the SDK: the proxy's refusals come back as {@link ProxyError}s. */
import type { ProxyTransport } from './transport';

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

/** Reads a JSON answer; a non-2xx status becomes a {@link ProxyError} with the proxy's code and message. */
export async function readJson<T>(res: Response): Promise<T> {
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

export async function requestJson<T>(
    transport: ProxyTransport,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs = 60000,
): Promise<T> {
    return readJson<T>(await transport.send({ method, path, body, timeoutMs }));
}

/** POSTs a signed request (protocol/request.ts `signRequest`): its exact body bytes and its headers. */
export async function postSigned<T>(
    transport: ProxyTransport,
    path: string,
    signed: { body: string; headers: Record<string, string> },
    timeoutMs = 60000,
    signal?: AbortSignal,
): Promise<T> {
    return readJson<T>(await transport.send({ method: 'POST', path, signed, timeoutMs, signal }));
}
