/**
 * HTTP for the generative endpoints (docs/proxy.md, "Generative endpoints"). Thin: the service refuses, meters and
 * bills; this maps its outcomes to JSON or to Server-Sent Events:
 *
 *   event: delta   data: {"index": 0, "tokenIds": [..], "text": ".."}        one per chunk the worker sent
 *   event: done    data: {GenerateResponse without text}                     the last event of a served stream
 *   event: error   data: {"error": code, "message": .., "billing"?: {...}}   the last event of a broken stream
 *
 * A client that closes the connection (stream or not) cancels the generation at the worker within one step; it is
 * billed exactly the tokens the worker generated (the receipt says so).
 */
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GenerativeService } from './service';
import type { Authenticated } from '../service';

/** A request's body bytes and the identity its signing headers proved (server.ts checks them before the body). */
export interface SignedBody {
    raw: Buffer;
    auth: Authenticated;
}

function clientGone(req: FastifyRequest, reply: FastifyReply): AbortSignal {
    const gone = new AbortController();
    reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
    });
    req.raw.on('aborted', () => gone.abort());
    return gone.signal;
}

const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

export function registerGenerativeRoutes(
    app: FastifyInstance,
    gen: GenerativeService,
    signed: (req: FastifyRequest) => SignedBody,
): void {
    app.post('/v1/generate', async (req, reply) => {
        const prepared = await gen.prepare(signed(req));
        const gone = clientGone(req, reply);
        if (prepared.inputs.stream !== true) {
            const outcome = await gen.run(prepared, { stream: false, onDelta: () => undefined, clientGone: gone });
            return outcome.ok ? outcome.response : reply.status(outcome.status).send(outcome.error);
        }
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache',
            connection: 'keep-alive',
            'x-request-id': prepared.req.requestId,
        });
        raw.flushHeaders();
        const event = (name: string, data: string) => {
            if (!raw.destroyed) raw.write(`event: ${name}\ndata: ${data}\n\n`);
        };
        const send = (name: string, data: unknown) => event(name, json(data));
        try {
            const outcome = await gen.run(prepared, {
                stream: true,
                // A delta holds no bigint: no replacer (which JSON.stringify would call for every token id).
                onDelta: (delta) => event('delta', JSON.stringify(delta)),
                clientGone: gone,
            });
            if (outcome.ok) {
                const { text: _text, ...rest } = outcome.response;
                void _text;
                send('done', rest);
            } else {
                send('error', outcome.error);
            }
        } catch (err) {
            send('error', { error: 'internal', message: (err as Error)?.message ?? 'internal error' });
        } finally {
            raw.end();
        }
    });

    app.post('/v1/embed', async (req) => gen.embed(signed(req)));
    app.post('/v1/transcribe', async (req) => gen.transcribe(signed(req)));
}
