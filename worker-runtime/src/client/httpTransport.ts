/**
 * Plain HTTP to a proxy over `node:http` with one keep-alive agent for the process. `fetch` does the same job at about
 * three times the CPU per request (its WHATWG request, header and body-stream machinery: ~0.8 ms against ~0.25 ms
 * client and server together, measured on the 2-core development machine), which is most of what the gateway added
 * per request over calling the proxy directly (docs/client.md, "Benchmark"). The answer is handed back as a
 * WHATWG `Response` all the same, so callers read JSON or a stream as they did.
 */
import * as http from 'node:http';
import { Readable } from 'node:stream';
import type { ProxyTransport, TransportRequest } from './transport';

/**
 * Idle kept-alive connections close after this long, before the proxy's own keep-alive timeout (Fastify's 72 s), so a
 * request is never written to a connection the proxy is closing.
 */
const IDLE_SOCKET_MS = 30_000;

/** Shared by every plain-HTTP transport, as fetch's global dispatcher was: one pool of connections per proxy. */
const agent = new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });

export class HttpTransport implements ProxyTransport {
    constructor(readonly baseUrl: string) {}

    send(request: TransportRequest): Promise<Response> {
        const payload =
            request.signed ??
            (request.body === undefined
                ? undefined
                : { body: JSON.stringify(request.body), headers: { 'content-type': 'application/json' } });
        const timeout = AbortSignal.timeout(request.timeoutMs ?? 60000);
        const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
        return new Promise<Response>((resolve, reject) => {
            if (signal.aborted) return reject(signal.reason);
            const req = http.request(
                new URL(request.path, this.baseUrl),
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
            req.once('error', (err) => {
                if (signal.aborted) return reject(signal.reason);
                // What fetch throws when the proxy cannot be reached or drops the connection (a TypeError, the cause
                // attached): the gateway fails over on it.
                reject(new TypeError(`${this.baseUrl}: ${err.message}`, { cause: err }));
            });
            req.end(payload?.body);
        });
    }
}
