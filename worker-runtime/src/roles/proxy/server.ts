/**
 * The proxy's HTTP API (Fastify). Handlers are thin: they call the service and map refusals to status codes with a
 * JSON body `{error: code, message}` (and `Retry-After` where waiting helps). Wrong content types and oversized bodies
 * are 4xx from Fastify itself; `/v1/infer` bodies reach the service as bytes. Nothing a client sends can take the
 * process down.
 */
import Fastify, { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { attest, QuoteProvider } from '../../tee';
import { RoleMetrics } from '../../observability';
import { RedisKeys } from '../../protocol/keys';
import { Dispatcher } from './dispatcher';
import { ProxyRefusal } from './errors';
import { ReputationBook } from './reputation';
import { PayoutVouchers } from './payouts';
import { Authenticated, InferenceService, ServedModel } from './service';
import { GenerativeService } from './generative/service';
import { registerGenerativeRoutes, SignedBody } from './generative/routes';
import { TokenMultipliersBps } from '../../protocol/voucher';

/** The routes whose requests carry the three signing headers (protocol/request.ts). */
const SIGNED_ROUTES = new Set(['/v1/infer', '/v1/generate', '/v1/embed', '/v1/transcribe']);

export interface ServerDeps {
    service: InferenceService;
    payouts: PayoutVouchers;
    models: Map<string, ServedModel>;
    proxyPublicKey: Buffer;
    proxyAddress: string;
    quoteProvider?: QuoteProvider;
    metrics: RoleMetrics;
    dispatcher: Dispatcher;
    reputation: ReputationBook;
    redis: Redis;
    prefix: string;
    bodyLimitBytes: number;
    generative: GenerativeService;
    /** nanoTON per billing unit and the token-kind multipliers (the proxy's parameter snapshot). */
    pricing: { pricePerToken: bigint; multipliers: TokenMultipliersBps };
    /** The RA-TLS certificate and key (PEM): HTTPS. Absent: plain HTTP (test networks, by opt-in; proxyRole.ts). */
    tls?: { key: string; cert: string };
}

export function buildServer(d: ServerDeps): FastifyInstance {
    const options = { logger: false, bodyLimit: d.bodyLimitBytes };
    // Both servers route alike; the handlers never depend on which one carries them.
    const app = (d.tls ? Fastify({ ...options, https: d.tls }) : Fastify(options)) as unknown as FastifyInstance;

    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
        if (err instanceof ProxyRefusal) {
            if (err.retryAfterSeconds !== undefined) reply.header('Retry-After', String(err.retryAfterSeconds));
            return reply.status(err.status).send({ ...err.details, error: err.code, message: err.message });
        }
        const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
        if (status === 500) d.metrics.errors.inc({ kind: 'internal' });
        return reply.status(status).send({
            error: status === 500 ? 'internal' : 'bad_request',
            message: status === 500 ? 'internal error' : err.message,
        });
    });

    // Every paid endpoint (`/v1/infer` and the generative ones) is authenticated from its headers before its body is
    // read (protocol/request.ts): a forged request is
    // answered at once and its connection closed, so its upload is neither received nor hashed. Bodies then stay bytes
    // until the service has checked that they hash to what was signed.
    const authenticated = new WeakMap<object, Authenticated>();
    app.addHook('onRequest', async (req, reply) => {
        if (req.method !== 'POST' || !SIGNED_ROUTES.has(req.routeOptions.url ?? '')) return;
        try {
            authenticated.set(req.raw, await d.service.authenticate(req.headers));
        } catch (err) {
            if (!(err instanceof ProxyRefusal)) throw err;
            // Once the refusal is out, drop the connection: Node would otherwise read (and discard) the rest of the
            // upload to keep the connection alive, which is most of what a forged 2 MiB upload costs.
            reply.raw.once('finish', () => req.raw.socket?.destroy());
            return reply
                .header('connection', 'close')
                .status(err.status)
                .send({ error: err.code, message: err.message });
        }
    });
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    const signed = (req: FastifyRequest): SignedBody => {
        const auth = authenticated.get(req.raw);
        if (!auth) throw new ProxyRefusal('bad_request', 'the request was not authenticated');
        if (!Buffer.isBuffer(req.body)) throw new ProxyRefusal('bad_request', 'the body must be application/json');
        return { raw: req.body, auth };
    };
    app.post('/v1/infer', async (req) => {
        const { raw, auth } = signed(req);
        return d.service.infer(raw, auth);
    });

    app.get('/v1/models', async () => ({
        models: [...d.models.values()].map((m) => ({
            hash: m.hash,
            name: m.name,
            kind: m.kind,
            task: m.generative?.task ?? 'tensor',
            contextLength: m.generative?.contextLength ?? null,
            inputs: m.inputs,
            outputs: m.outputs,
            pricing: modelPricing(d.pricing),
        })),
    }));

    registerGenerativeRoutes(app, d.generative, signed);

    app.get('/v1/attestation', async (req, reply) => {
        const nonceHex = (req.query as { nonce?: string }).nonce ?? '';
        if (!/^([0-9a-f]{2}){0,64}$/i.test(nonceHex)) {
            throw new ProxyRefusal('bad_request', 'nonce must be up to 64 bytes of hex');
        }
        if (!d.quoteProvider) throw new ProxyRefusal('unavailable', 'this proxy has no attestation provider');
        const nonce = nonceHex ? Buffer.from(nonceHex, 'hex') : undefined;
        const document = await attest(d.quoteProvider, d.proxyPublicKey, nonce);
        return reply.send({
            document,
            publicKey: d.proxyPublicKey.toString('hex'),
            proxyAddress: d.proxyAddress,
            nonce: nonceHex,
        });
    });

    // Signed by the account's owner (protocol/request.ts signReceiptQuery): nobody else learns what an account ran.
    app.get('/v1/receipts/:id', async (req) => d.service.receipt((req.params as { id: string }).id, req.headers));

    // A worker's signed announcement (its attestation document included), so clients can check receipts' keys.
    app.get('/v1/workers/:key', async (req) => {
        const key = (req.params as { key: string }).key;
        if (!/^[0-9a-f]{64}$/i.test(key)) throw new ProxyRefusal('bad_request', 'a worker key is 64 hex characters');
        const raw = await d.redis.get(RedisKeys.announcement(d.prefix, key));
        if (!raw) throw new ProxyRefusal('not_found', `no worker ${key}`);
        return { announcement: JSON.parse(raw), reputation: d.reputation.get(key.toLowerCase()) };
    });

    // The worker's latest payout voucher, signed on demand (payouts.ts): it only ever pays the worker's owner.
    app.get('/v1/payouts/:key', async (req) => {
        const key = (req.params as { key: string }).key;
        if (!/^[0-9a-f]{64}$/i.test(key)) throw new ProxyRefusal('bad_request', 'a worker key is 64 hex characters');
        // Counters that failed the ledger check are no ground for a voucher (they may be below one signed before).
        if (d.service.refusal) throw new ProxyRefusal('state_rolled_back', d.service.refusal);
        const voucher = await d.payouts.forWorker(key);
        if (!voucher) throw new ProxyRefusal('not_found', `worker ${key} has not served here and is not admitted`);
        return voucher;
    });

    // 200 {ok: true} while serving; 503 {ok: false, error} when the ledger failed its check or a model has no worker.
    app.get('/healthz', async (_req, reply) => {
        const health = await d.service.health();
        return reply.status(health.ok ? 200 : 503).send(health);
    });

    app.get('/metrics', async (_req, reply) => {
        const [role, queues] = await Promise.all([d.metrics.registry.metrics(), d.dispatcher.prometheus()]);
        return reply.type('text/plain; version=0.0.4').send(`${role}\n${queues}\n`);
    });

    return app;
}

/**
 * Prices of each token kind: nanoTON per million tokens = price per unit × multiplier_bps / 10000 × 10^6 (exact:
 * the multiplier is in basis points), with the raw parameters to compute any other figure.
 */
function modelPricing(p: { pricePerToken: bigint; multipliers: TokenMultipliersBps }) {
    const perMillion = (bps: bigint) => ((p.pricePerToken * bps * 1_000_000n) / 10_000n).toString();
    return {
        unitPriceNanoton: p.pricePerToken.toString(),
        multipliersBps: {
            prompt: Number(p.multipliers.prompt),
            cached: Number(p.multipliers.cached),
            completion: Number(p.multipliers.completion),
            reasoning: Number(p.multipliers.reasoning),
        },
        nanotonPerMillionTokens: {
            prompt: perMillion(p.multipliers.prompt),
            cached: perMillion(p.multipliers.cached),
            completion: perMillion(p.multipliers.completion),
            reasoning: perMillion(p.multipliers.reasoning),
        },
    };
}
