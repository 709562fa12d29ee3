/**
 * The one way the SDK reaches a proxy: every request of the client, the gateway and the attestation checks goes
 * through a {@link ProxyTransport}. An `https://` proxy is reached over RA-TLS (ratls/transport.ts): its certificate's
 * attestation is checked against the registry and its key pinned before any request is written. Plain `http://`
 * only where the caller opted in and the registry marks a test network (docs/client.md, "Transport"), over `node:http`
 * with a keep-alive agent (httpTransport.ts; `fetch` costs three times the CPU per request).
 */
import { RaTlsError } from '../ratls/errors';
import type { RaTlsVerifier } from '../ratls/peer';
import { RaTlsTransport } from '../ratls/transport';
import { requestPayload, withTimeout } from './nodeRequest';

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
    /** Extra headers (e.g. the signing headers of a GET, protocol/request.ts `signReceiptQuery`). */
    headers?: Record<string, string>;
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

/** Plain HTTP through `fetch` (bench:transport compares it with the node:http transports). */
export class FetchTransport implements ProxyTransport {
    constructor(readonly baseUrl: string) {}

    send(request: TransportRequest): Promise<Response> {
        const payload = requestPayload(request);
        return fetch(new URL(request.path, this.baseUrl), {
            method: request.method,
            headers: { ...request.headers, ...payload?.headers },
            body: payload?.body,
            signal: withTimeout(request.signal, request.timeoutMs ?? 60000),
        });
    }
}

export interface TransportTrust {
    /** Checks an `https://` proxy's RA-TLS certificate and holds the pin. */
    verifier?: RaTlsVerifier;
    /** Plain `http://` is accepted: the caller opted in and the registry marks a test network. */
    plainHttp?: boolean;
}

/**
 * The transport for a proxy URL (the single place the confidential transport plugs in): RA-TLS for `https://`, plain
 * HTTP for `http://` only with `plainHttp`. Anything else is refused with {@link RaTlsError} at the first request.
 */
export function proxyTransport(baseUrl: string, trust: TransportTrust = {}): ProxyTransport {
    const scheme = new URL(baseUrl).protocol;
    if (scheme === 'https:' && trust.verifier) return new RaTlsTransport(baseUrl, trust.verifier);
    if (scheme === 'http:' && trust.plainHttp) return new HttpTransport(baseUrl);
    const why =
        scheme === 'http:'
            ? `${baseUrl} is plain HTTP: allowed only on a test network with the plain-HTTP opt-in (docs/client.md)`
            : `${baseUrl}: no RA-TLS verifier for this proxy`;
    return { baseUrl, send: () => Promise.reject(new RaTlsError('plain_http_refused', why)) };
}
