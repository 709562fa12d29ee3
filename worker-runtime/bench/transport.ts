/**
 * `npm run bench:transport`: what RA-TLS costs the SDK, the transport alone. One Fastify server serves the same two
 * routes over HTTPS with the proxy's RA-TLS certificate (simulated quote) and over plain HTTP: `GET /v1/models`
 * (a small JSON answer) and `POST /v1/infer` (a 4 KiB signed-size body echoed as its length). The SDK's transports
 * call them, alternating request by request so that both see the same machine load:
 *
 * - RA-TLS (`RaTlsTransport`: node:https, keep-alive, the certificate checked and pinned) next to plain HTTP through
 *   the same node:http keep-alive client, and through `fetch` (the SDK's plain-HTTP transport on test networks);
 * - the first connection: TCP + TLS 1.3 handshake + the attestation checks (quote, binding, policy), once per client;
 * - a new connection to the pinned key (kept-alive connections closed before each): TCP + handshake + pin check.
 *
 * Prints the figures and writes bench/transport.json. The proxy's own work per request (Redis, workers) is the same
 * under both transports and is left out on purpose: the difference here is what TLS adds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify, { FastifyInstance } from 'fastify';
import { FetchTransport, ProxyTransport } from '../src/client/transport';
import { createRaTlsCertificate } from '../src/ratls/certificate';
import { RaTlsVerifier } from '../src/ratls/peer';
import { deriveTlsKey } from '../src/ratls/tlsKey';
import { RaTlsTransport } from '../src/ratls/transport';
import { createProvider } from '../src/tee';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const RECONNECTS = Number(process.env.BENCH_RECONNECTS ?? 200);
const quiet = { warn: () => undefined };

interface Stats {
    p50: number;
    p90: number;
    p99: number;
}

function stats(samples: number[]): Stats {
    const s = [...samples].sort((a, b) => a - b);
    const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 1000) / 1000;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
    const t0 = performance.now();
    await run();
    return performance.now() - t0;
}

/** Plain HTTP through node:http with keep-alive: the RA-TLS transport's client without the TLS. */
class NodeHttpTransport implements ProxyTransport {
    readonly agent = new http.Agent({ keepAlive: true });
    constructor(readonly baseUrl: string) {}
    send(r: Parameters<ProxyTransport['send']>[0]): Promise<Response> {
        const body = r.signed?.body ?? (r.body === undefined ? undefined : JSON.stringify(r.body));
        return new Promise((resolve, reject) => {
            const req = http.request(
                new URL(r.path, this.baseUrl),
                { method: r.method, agent: this.agent, headers: { 'content-type': 'application/json' } },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on('data', (c: Buffer) => chunks.push(c));
                    res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode })));
                },
            );
            req.once('error', reject);
            req.end(body);
        });
    }
}

async function main() {
    const proxyKey = Buffer.alloc(32, 7);
    const cert = await createRaTlsCertificate({
        tlsKey: deriveTlsKey(Buffer.alloc(32, 1)),
        proxyKey,
        provider: createProvider({ kind: 'simulated', logger: quiet }),
    });
    const routes = (app: FastifyInstance) => {
        app.get('/v1/models', async () => ({ models: [{ hash: 'ab'.repeat(32), name: 'tiny-mlp', kind: 'tensor' }] }));
        app.post('/v1/infer', async (req) => ({ received: JSON.stringify(req.body).length }));
    };
    const secure = Fastify({ https: { key: cert.keyPem, cert: cert.certPem } });
    const plain = Fastify();
    routes(secure as unknown as FastifyInstance);
    routes(plain as unknown as FastifyInstance);
    const secureUrl = await secure.listen({ host: '127.0.0.1', port: 0 });
    const plainUrl = await plain.listen({ host: '127.0.0.1', port: 0 });
    const verifier = () =>
        new RaTlsVerifier({
            proxyKey,
            registry: async () => ({
                view: { isTestNetwork: () => true, proxyImageAllowed: () => true, workerImageAllowed: () => true },
                registered: true,
            }),
            policy: { logger: quiet },
        });
    try {
        const tls = new RaTlsTransport(secureUrl, verifier());
        const nodeHttp = new NodeHttpTransport(plainUrl);
        const fetchHttp = new FetchTransport(plainUrl);
        const first = await timed(async () => (await tls.send({ method: 'GET', path: '/v1/models' })).text());

        const body = { requestId: 'ab'.repeat(32), inputs: { data: 'A'.repeat(4096) } };
        const kinds = {
            getModels: { method: 'GET', path: '/v1/models' },
            postInfer: { method: 'POST', path: '/v1/infer', body },
        } as const;
        const samples: Record<string, number[]> = {};
        const transports = { raTls: tls, nodeHttp, fetch: fetchHttp } as const;
        for (const [kind, request] of Object.entries(kinds)) {
            for (let i = 0; i < 100; i++)
                for (const t of Object.values(transports)) await (await t.send(request)).text();
            for (let i = 0; i < REQUESTS; i++) {
                for (const [name, t] of Object.entries(transports)) {
                    (samples[`${name}.${kind}`] ??= []).push(await timed(async () => (await t.send(request)).text()));
                }
            }
        }
        const reconnect: number[] = [];
        const plainReconnect: number[] = [];
        for (let i = 0; i < RECONNECTS; i++) {
            tls.closeConnections();
            reconnect.push(await timed(async () => (await tls.send(kinds.getModels)).text()));
            nodeHttp.agent.destroy();
            plainReconnect.push(await timed(async () => (await nodeHttp.send(kinds.getModels)).text()));
        }
        const s = (k: string) => stats(samples[k]);
        const result = {
            requests: REQUESTS,
            reconnects: RECONNECTS,
            firstConnectionMs: Math.round(first * 1000) / 1000,
            newConnectionMs: { raTlsPinned: stats(reconnect), plainHttp: stats(plainReconnect) },
            keptAliveMs: Object.fromEntries(Object.keys(samples).map((k) => [k, s(k)])),
            addedByTlsP50Ms: {
                getModels: Math.round((s('raTls.getModels').p50 - s('nodeHttp.getModels').p50) * 1000) / 1000,
                postInfer: Math.round((s('raTls.postInfer').p50 - s('nodeHttp.postInfer').p50) * 1000) / 1000,
                handshake: Math.round((stats(reconnect).p50 - stats(plainReconnect).p50) * 1000) / 1000,
            },
        };
        console.log('RA-TLS transport, loopback (p50 / p99, ms):');
        console.log(`  first connection (TCP + TLS 1.3 + quote, binding, policy)  ${result.firstConnectionMs}`);
        console.log(
            `  new connection + GET, pinned key   RA-TLS ${stats(reconnect).p50} / ${stats(reconnect).p99}   plain ${stats(plainReconnect).p50} / ${stats(plainReconnect).p99}`,
        );
        for (const kind of Object.keys(kinds)) {
            const line = Object.keys(transports)
                .map((n) => `${n} ${s(`${n}.${kind}`).p50} / ${s(`${n}.${kind}`).p99}`)
                .join('   ');
            console.log(`  kept alive ${kind.padEnd(10)} ${line}`);
        }
        console.log(`  added by TLS (p50): ${JSON.stringify(result.addedByTlsP50Ms)}`);
        const dir = join(__dirname, '..', '..', 'bench');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'transport.json'), JSON.stringify(result, null, 2) + '\n');
        console.log('written bench/transport.json');
    } finally {
        await secure.close();
        await plain.close();
    }
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
