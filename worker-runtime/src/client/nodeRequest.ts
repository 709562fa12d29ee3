/**
 * One request to a proxy over `node:http` / `node:https`, answered as a WHATWG `Response` (callers read JSON or a
 * stream as they would from `fetch`, at about a third of its CPU per request). The plain-HTTP and the RA-TLS
 * transports differ only in the request function, the agent and how a connection failure is named.
 */
import type * as http from 'node:http';
import { Readable } from 'node:stream';
import type { TransportRequest } from './transport';

/** The body and headers a request is sent with: a pre-signed one byte for byte, or a JSON body serialised here. */
export function requestPayload(
    request: TransportRequest,
): { body: string; headers: Record<string, string> } | undefined {
    return (
        request.signed ??
        (request.body === undefined
            ? undefined
            : { body: JSON.stringify(request.body), headers: { 'content-type': 'application/json' } })
    );
}

/** The caller's signal or the timeout, whichever fires first. */
export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
    const timeout = AbortSignal.timeout(ms);
    if (!signal) return timeout;
    const both = new AbortController();
    const abort = (reason: unknown) => both.abort(reason);
    if (signal.aborted) abort(signal.reason);
    signal.addEventListener('abort', () => abort(signal.reason), { once: true });
    timeout.addEventListener('abort', () => abort(timeout.reason), { once: true });
    return both.signal;
}

export interface NodeRequestOptions {
    baseUrl: string;
    request: TransportRequest;
    send: (
        url: URL,
        options: http.RequestOptions,
        onResponse: (res: http.IncomingMessage) => void,
    ) => http.ClientRequest;
    agent: http.Agent;
    /** The error a request fails with when no HTTP answer came (the connection failed or dropped). */
    connectionError: (err: Error) => Error;
}

export function nodeRequest({ baseUrl, request, send, agent, connectionError }: NodeRequestOptions): Promise<Response> {
    const payload = requestPayload(request);
    const signal = withTimeout(request.signal, request.timeoutMs ?? 60000);
    return new Promise<Response>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const req = send(
            new URL(request.path, baseUrl),
            { method: request.method, headers: { ...request.headers, ...payload?.headers }, agent },
            (res) => {
                const headers = new Headers();
                for (const [name, value] of Object.entries(res.headers)) {
                    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
                    else if (value !== undefined) headers.set(name, value);
                }
                const status = res.statusCode ?? 502;
                const empty = status === 204 || status === 304;
                if (empty) res.resume();
                resolve(
                    new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
                        status,
                        statusText: res.statusMessage,
                        headers,
                    }),
                );
            },
        );
        // As with fetch: an abort (the caller's, or the timeout) ends the exchange, the body's stream included.
        const onAbort = () => req.destroy(signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => signal.removeEventListener('abort', onAbort));
        req.once('error', (err) => reject(signal.aborted ? signal.reason : connectionError(err)));
        req.end(payload?.body);
    });
}
