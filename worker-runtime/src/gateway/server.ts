/**
 * `createGateway()`: a local OpenAI-compatible HTTP server over the Chrysalis SDK. Route handlers are thin —
 * request model in (requests.ts), SDK call through the proxy pool (pool.ts: signing, receipt and voucher checks,
 * commits happen in the SDK), response model out (responses.ts); errors in OpenAI's shape (errors.ts).
 *
 *   const gateway = await createGateway({ clients: [client], port: 10000 });
 *   // new OpenAI({ baseURL: gateway.url, apiKey: 'unused' })
 */
import { clientMetrics } from '../client/voucherAudit';
import { timingSafeEqual } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { ChrysalisClient } from '../client/client';
import type { GenerationEvent } from '../client/generativeCalls';
import { GatewayError, toGatewayError } from './errors';
import { ProxyPool } from './pool';
import {
    GenerationCall,
    parseChatRequest,
    parseCompletionRequest,
    parseEmbeddingRequest,
    parseTranscriptionRequest,
} from './requests';
import {
    chatCompletion,
    ChunkWriter,
    completionId,
    embeddingList,
    modelObject,
    textCompletion,
    transcription,
} from './responses';

export interface GatewayOptions {
    /** One SDK client per proxy where the wallet has an account, in the order to try (see `gatewayClients`). */
    clients: ChrysalisClient[];
    host?: string;
    /** 0 = any free port; default 10000. */
    port?: number;
    /** When set, every request must carry `Authorization: Bearer <apiKey>` (CHRYSALIS_GATEWAY_API_KEY). */
    apiKey?: string;
    /**
     * `max_tokens` when a request gives none (the proxy reserves the maximum cost up front, so it needs one): this,
     * capped at half the model's context (default 256).
     */
    defaultMaxTokens?: number;
    /** Largest audio upload, bytes (default 25 MiB, as OpenAI's). */
    maxFileBytes?: number;
}

export interface Gateway {
    /** Base URL for OpenAI clients, e.g. `http://127.0.0.1:10000/v1`. */
    url: string;
    app: FastifyInstance;
    pool: ProxyPool;
    close(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
    const pool = new ProxyPool(options.clients);
    // A commit waits for the chain: it runs beside the answers, not before the one that made it due.
    for (const client of options.clients) client.commitInBackground();
    const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });

    app.setErrorHandler((err, _req, reply) => {
        const e = fastifyError(err);
        void reply.status(e.status).send(e.toJSON());
    });
    app.setNotFoundHandler((req, reply) => {
        const e = new GatewayError(404, `no route ${req.method} ${req.url}`, 'not_found_error', 'unknown_route');
        void reply.status(404).send(e.toJSON());
    });
    if (options.apiKey) {
        const expected = Buffer.from(`Bearer ${options.apiKey}`);
        app.addHook('onRequest', async (req) => {
            const given = Buffer.from(req.headers.authorization ?? '');
            if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
                throw new GatewayError(
                    401,
                    'missing or wrong API key: send Authorization: Bearer <CHRYSALIS_GATEWAY_API_KEY>',
                    'authentication_error',
                    'invalid_api_key',
                );
            }
        });
    }

    // The SDK's own counters (e.g. refused charge vouchers), for Prometheus.
    app.get('/metrics', async (_req, reply) =>
        reply.header('content-type', clientMetrics.contentType).send(await clientMetrics.metrics()),
    );

    app.get('/v1/models', async () => ({ object: 'list', data: (await pool.models()).map(modelObject) }));

    app.get('/v1/models/:id', async (req) => {
        const id = (req.params as { id: string }).id;
        const model = (await pool.models()).find((m) => m.name === id || m.hash === id.toLowerCase());
        if (!model)
            throw new GatewayError(
                404,
                `the model '${id}' does not exist`,
                'not_found_error',
                'model_not_found',
                'model',
            );
        return modelObject(model);
    });

    app.post('/v1/chat/completions', (req, reply) => generation(req, reply, parseChatRequest(req.body), true));
    app.post('/v1/completions', (req, reply) => generation(req, reply, parseCompletionRequest(req.body), false));

    app.post('/v1/embeddings', async (req, reply) => {
        const call = parseEmbeddingRequest(req.body);
        return pool.run(call.model, ['text-embedding'], async ({ client, model }) =>
            embeddingList(call.model, await client.embed(model.hash, call.input, callerGone(reply)), call.encoding),
        );
    });

    // Multipart parsing (and the hooks the plugin adds to every request of its scope) only where an upload is taken.
    await app.register(async (scope) => {
        await scope.register(multipart, {
            limits: { fileSize: options.maxFileBytes ?? 25 * 1024 * 1024, files: 1 },
        });
        scope.post('/v1/audio/transcriptions', async (req, reply) => {
            if (!req.isMultipart()) {
                throw new GatewayError(
                    400,
                    'send multipart/form-data with a file',
                    'invalid_request_error',
                    'invalid_body',
                );
            }
            const fields: Record<string, string> = {};
            let file: Buffer | null = null;
            for await (const part of req.parts()) {
                if (part.type === 'file') file = await part.toBuffer();
                else fields[part.fieldname] = String(part.value);
            }
            const call = parseTranscriptionRequest(fields, file);
            const answer = await pool.run(call.model, ['speech-to-text'], async ({ client, model }) =>
                client.transcribe(model.hash, call.wav, undefined, callerGone(reply)),
            );
            if (call.format === 'text') return reply.type('text/plain; charset=utf-8').send(answer.text);
            return transcription(answer);
        });
    });

    /** The native tensor API: `{model, inputs}` → the proxy's `/v1/infer` answer, signed and checked by the SDK. */
    app.post('/v1/infer', async (req) => {
        const b = (req.body ?? {}) as { model?: unknown; inputs?: unknown };
        if (typeof b.model !== 'string')
            throw new GatewayError(
                400,
                "'model' must be a model id",
                'invalid_request_error',
                'invalid_value',
                'model',
            );
        if (!b.inputs || typeof b.inputs !== 'object') {
            throw new GatewayError(
                400,
                "'inputs' must be an object of tensors",
                'invalid_request_error',
                'invalid_value',
                'inputs',
            );
        }
        return pool.run(b.model, ['tensor'], ({ client, model }) =>
            client.infer(model.hash, b.inputs as Record<string, unknown>),
        );
    });

    async function generation(req: FastifyRequest, reply: FastifyReply, call: GenerationCall, chat: boolean) {
        const gone = callerGone(reply);
        const inputs = (contextLength: number | null) => ({
            ...call.inputs,
            max_tokens:
                call.inputs.max_tokens ??
                Math.max(1, Math.min(options.defaultMaxTokens ?? 256, Math.floor((contextLength ?? 512) / 2))),
        });
        if (!call.stream) {
            return pool.run(call.model, ['chat'], async ({ client, model }) => {
                const answer = await client.generate(model.hash, inputs(model.contextLength), gone);
                return chat ? chatCompletion(call.model, answer) : textCompletion(call.model, answer);
            });
        }
        // The first event is awaited before the status line, so refusals keep their status (402, 400, …).
        const { events, first } = await pool.run(call.model, ['chat'], async ({ client, model }) => {
            const events = client.generateStream(model.hash, inputs(model.contextLength), gone);
            return { events, first: await events.next() };
        });
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
        // The chunks that one read from the proxy brought go out in one write (one syscall), not one each. Buffered
        // here rather than by corking the response: on Node 22 a corked response's data is dropped by `end()`.
        let pending = '';
        const flush = () => {
            if (pending && !raw.destroyed) raw.write(pending);
            pending = '';
        };
        const send = (data: unknown) => {
            if (!pending) process.nextTick(flush);
            pending += `data: ${JSON.stringify(data)}\n\n`;
        };
        let writer: ChunkWriter | null = null;
        const onEvent = (event: GenerationEvent) => {
            if (event.type === 'delta') {
                if (event.delta.text) send(writerFor(event).delta(event.delta.text));
            } else if (event.type === 'done') {
                const w = writerFor(event);
                send(w.finish(event.response));
                if (call.includeUsage) send(w.usage(event.response));
            }
        };
        const writerFor = (event: GenerationEvent) =>
            (writer ??= new ChunkWriter(chat, call.model, completionId(chat ? 'chatcmpl' : 'cmpl', event.requestId)));
        try {
            if (!first.done) onEvent(first.value);
            for await (const event of { [Symbol.asyncIterator]: () => events }) onEvent(event);
            pending += 'data: [DONE]\n\n';
        } catch (err) {
            send(toGatewayError(err).toJSON());
        } finally {
            flush();
            raw.end();
        }
    }

    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 10000 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host ?? '127.0.0.1';
    const close = async () => {
        await app.close();
        await Promise.all(options.clients.map((c) => c.settled()));
    };
    return { url: `http://${host}:${port}/v1`, app, pool, close };
}

/** Aborts the SDK call (and so the generation at the worker) when the caller disconnects. */
function callerGone(reply: FastifyReply): AbortSignal {
    const gone = new AbortController();
    reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
    });
    return gone.signal;
}

/** Fastify's own refusals (bad JSON, body too large, wrong content type) in OpenAI's shape. */
function fastifyError(err: unknown): GatewayError {
    const e = err as { statusCode?: number; message?: string; code?: string };
    if (!(err instanceof GatewayError) && e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
        return new GatewayError(e.statusCode, e.message ?? 'bad request', 'invalid_request_error', e.code ?? null);
    }
    return toGatewayError(err);
}
