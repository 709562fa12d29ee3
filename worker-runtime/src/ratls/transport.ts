/**
 * The SDK's RA-TLS transport: HTTPS over `node:https` with an agent whose connections are handed to a request only
 * after the proxy's certificate passed {@link RaTlsVerifier} (attestation, registry, pin). The check sits between
 * the TLS handshake and the first byte of HTTP, so a refused proxy receives nothing but a ClientHello: no request
 * line, no header, no body. Connections are kept alive (one handshake, and one check, per connection).
 */
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { ChrysalisError } from '../errors';
import { nodeRequest } from '../client/nodeRequest';
import type { ProxyTransport, TransportRequest } from '../client/transport';
import { RaTlsError } from './errors';
import { RaTlsVerifier } from './peer';

/** The proxy could not be reached or dropped the connection (no HTTP answer): the gateway fails over on it. */
export class ProxyConnectionError extends ChrysalisError {}

/** Idle kept-alive connections are closed after this long (before the proxy's own keep-alive timeout, 72 s). */
const IDLE_SOCKET_MS = 30_000;

class VerifyingAgent extends https.Agent {
    constructor(private readonly verifier: RaTlsVerifier) {
        // The certificate is self-signed by design: trust comes from the attestation it carries, checked below.
        // No session resumption: every connection proves the pinned key in a full handshake.
        super({ keepAlive: true, maxCachedSessions: 0, rejectUnauthorized: false, timeout: IDLE_SOCKET_MS });
    }

    /** Returns nothing, so the agent waits for `callback`: the socket reaches the request only once verified. */
    override createConnection(
        options: https.RequestOptions,
        callback?: (err: Error | null, stream: Duplex) => void,
    ): undefined {
        const socket = tls.connect({ ...(options as tls.ConnectionOptions), rejectUnauthorized: false });
        let settled = false;
        const done = (err: Error | null) => {
            if (settled) return;
            settled = true;
            if (err) socket.destroy();
            callback?.(err, socket);
        };
        // Stays attached: an error after the hand-over goes to the request's own listener too, never uncaught.
        socket.on('error', (err) => done(err));
        socket.once('secureConnect', () => {
            const cert = socket.getPeerX509Certificate();
            if (!cert) return done(new RaTlsError('malformed', 'the proxy presented no certificate'));
            this.verifier.check(cert).then(
                () => done(null),
                (err: Error) => done(err),
            );
        });
        return undefined;
    }
}

export class RaTlsTransport implements ProxyTransport {
    private readonly agent: VerifyingAgent;

    constructor(
        readonly baseUrl: string,
        readonly verifier: RaTlsVerifier,
    ) {
        this.agent = new VerifyingAgent(verifier);
    }

    send(request: TransportRequest): Promise<Response> {
        return nodeRequest({
            baseUrl: this.baseUrl,
            request,
            send: https.request,
            agent: this.agent,
            connectionError: (err) =>
                err instanceof RaTlsError
                    ? err
                    : new ProxyConnectionError(`${this.baseUrl}: ${err.message}`, { cause: err }),
        });
    }

    /** Closes the kept-alive connections (the pin stays: the next connection must present the same key). */
    closeConnections(): void {
        this.agent.destroy();
    }
}
