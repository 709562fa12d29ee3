/**
 * The parties a client can meet on the way to a proxy, for tests/transport: a TCP relay that records every byte it
 * forwards (an observer of the proxy host's network), and TLS servers that present a certificate of their own choice
 * and record whether anything reached them after the handshake (a relay that terminates TLS, or a fake proxy).
 */
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { extensionValue, RA_TLS_OID, selfSignedCertificate } from '../../worker-runtime/src/ratls/certificate';
import { tlsKeyFromScalar } from '../../worker-runtime/src/ratls/tlsKey';

/** A TCP relay from a local port to `target` (host:port), recording both directions. */
export interface RecordingRelay {
    url: string;
    /** Every byte the client sent and the proxy answered, in order of arrival. */
    captured(): Buffer;
    close(): Promise<void>;
}

export async function recordingRelay(target: URL): Promise<RecordingRelay> {
    const chunks: Buffer[] = [];
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port), target.hostname);
        for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('error', () => undefined);
            s.on('close', () => sockets.delete(s));
        }
        client.on('data', (d: Buffer) => {
            chunks.push(Buffer.from(d));
            upstream.write(d);
        });
        upstream.on('data', (d: Buffer) => {
            chunks.push(Buffer.from(d));
            client.write(d);
        });
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    return {
        url: `${target.protocol}//127.0.0.1:${port}`,
        captured: () => Buffer.concat(chunks),
        close: async () => {
            for (const s of sockets) s.destroy();
            await new Promise<void>((r) => server.close(() => r()));
        },
    };
}

/** A TLS server presenting `cert`; it answers HTTP (a fake proxy) and counts what reached it after a handshake. */
export interface FakeProxy {
    url: string;
    /** TCP connections accepted. */
    connections: number;
    /** TLS handshakes completed on the server's side. */
    handshakes: number;
    /** Bytes of application data (HTTP) received. */
    received: number;
    requests: string[];
    close(): Promise<void>;
}

export async function fakeProxy(cert: { certPem: string; keyPem: string }): Promise<FakeProxy> {
    const state = { connections: 0, handshakes: 0, received: 0, requests: [] as string[] };
    const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
        state.requests.push(`${req.method} ${req.url}`);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ models: [] }));
    });
    server.on('connection', () => state.connections++);
    server.on('secureConnection', (socket: tls.TLSSocket) => {
        state.handshakes++;
        socket.on('data', (d: Buffer) => (state.received += d.length));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    return Object.assign(state, {
        url: `https://127.0.0.1:${port}`,
        close: async () => {
            server.closeAllConnections();
            await new Promise<void>((r) => server.close(() => r()));
        },
    });
}

/**
 * A self-signed certificate over a fresh key of its own, optionally carrying another certificate's attestation
 * extension byte for byte (what a relay that terminates TLS would present: the proxy's quote, its own key).
 */
export async function ownCertificate(
    copyEvidenceFrom?: string,
    /** Also embed this text (e.g. the proxy's own certificate as PEM) in an extension of no meaning. */
    embedText?: string,
): Promise<{ certPem: string; keyPem: string }> {
    const key = tlsKeyFromScalar(randomScalar());
    const extensions = [];
    if (copyEvidenceFrom) {
        const value = extensionValue(new X509Certificate(copyEvidenceFrom).raw, RA_TLS_OID);
        if (!value) throw new Error('the certificate has no attestation extension to copy');
        extensions.push({ oid: RA_TLS_OID, value });
    }
    // On a line of its own, as a TDX quote's PCK chain is: what a PEM reader scanning the bytes would find.
    if (embedText) extensions.push({ oid: '1.3.6.1.4.1.99999.1', value: Buffer.from(`\n${embedText}`) });
    return {
        certPem: selfSignedCertificate(key, 'relay', extensions),
        keyPem: key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
}

/** A random P-256 scalar that is a valid private key (for a second, validly attested TLS key). */
export function randomScalar(): Buffer {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
}

/** SHA-256 of a certificate's SubjectPublicKeyInfo (hex), from its PEM. */
export function spkiHashOf(certPem: string): string {
    return createHash('sha256')
        .update(new X509Certificate(certPem).publicKey.export({ format: 'der', type: 'spki' }))
        .digest('hex');
}

export const marker = (): string => randomBytes(32).toString('hex');
