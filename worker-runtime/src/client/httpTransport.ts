/**
 * Plain HTTP to a proxy over `node:http` with one keep-alive agent for the process. `fetch` does the same job at about
 * three times the CPU per request (its WHATWG request, header and body-stream machinery: ~0.8 ms against ~0.25 ms
 * client and server together, measured on the 2-core development machine), which is most of what the gateway added
 * per request over calling the proxy directly (docs/client.md, "Benchmark"). The answer is handed back as a
 * WHATWG `Response` all the same, so callers read JSON or a stream as they did.
 */
import * as http from 'node:http';
import { nodeRequest } from './nodeRequest';
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
        return nodeRequest({
            baseUrl: this.baseUrl,
            request,
            send: http.request,
            agent,
            // What fetch throws when the proxy cannot be reached or drops the connection (a TypeError, the cause
            // attached): the gateway fails over on it.
            connectionError: (err) => new TypeError(`${this.baseUrl}: ${err.message}`, { cause: err }),
        });
    }
}
