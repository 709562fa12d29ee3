/**
 * The one way the SDK reaches a proxy: every request of the client, the gateway and the attestation checks goes
 * through a {@link ProxyTransport}. Today plain HTTP goes over `node:http` with a keep-alive agent (httpTransport.ts;
 * `fetch` costs three times the CPU per request) and HTTPS over `fetch`; the confidential transport (RA-TLS with the proxy's attested, pinned key) replaces this module's
 * implementation without touching its callers.
 */

import { HttpTransport } from './httpTransport';

export interface TransportRequest {
    method: 'GET' | 'POST';
    /** Path and query under the proxy's base URL, e.g. `/v1/generate`. */
    path: string;
    /** A JSON body (serialised here). */
    body?: unknown;
    /**
     * A pre-signed request (protocol/request.ts `signRequest`): its body is sent byte-for-byte with its headers
     * (the signature covers the exact bytes, so it must not be re-serialised). Takes the place of `body`.
     */
    signed?: { body: string; headers: Record<string, string> };
    /** Aborts the request (e.g. the gateway's caller went away). */
    signal?: AbortSignal;
    /** Gives up after this many ms (default 60000). */
    timeoutMs?: number;
}

export interface ProxyTransport {
    /** The proxy's base URL (where the registry says it listens). */
    readonly baseUrl: string;
    /** Sends one request and hands back the response as it starts (the caller reads JSON or a stream). */
    send(request: TransportRequest): Promise<Response>;
}

/** Plain HTTP(S) through `fetch`. */
export class FetchTransport implements ProxyTransport {
    constructor(readonly baseUrl: string) {}

    send(request: TransportRequest): Promise<Response> {
        const payload =
            request.signed ??
            (request.body === undefined
                ? undefined
                : { body: JSON.stringify(request.body), headers: { 'content-type': 'application/json' } });
        return fetch(new URL(request.path, this.baseUrl), {
            method: request.method,
            headers: payload?.headers,
            body: payload?.body,
            signal: withTimeout(request.signal, request.timeoutMs ?? 60000),
        });
    }
}

/** The caller's signal or the timeout, whichever fires first. */
function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
    const timeout = AbortSignal.timeout(ms);
    if (!signal) return timeout;
    const both = new AbortController();
    const abort = (reason: unknown) => both.abort(reason);
    if (signal.aborted) abort(signal.reason);
    signal.addEventListener('abort', () => abort(signal.reason), { once: true });
    timeout.addEventListener('abort', () => abort(timeout.reason), { once: true });
    return both.signal;
}

/** The transport the SDK uses for a proxy URL (the single place the confidential transport plugs in). */
export function proxyTransport(baseUrl: string): ProxyTransport {
    return new URL(baseUrl).protocol === 'http:' ? new HttpTransport(baseUrl) : new FetchTransport(baseUrl);
}
