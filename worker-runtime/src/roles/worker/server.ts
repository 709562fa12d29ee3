import Fastify, { FastifyInstance } from 'fastify';

export interface HealthSource {
    /** 'consuming' is healthy; every other state answers 503 with the state and its reason. */
    health(): { state: string; detail?: string; workerKey: string; modelHash: string; keyVersion: number | null };
    /** Prometheus text: the role's metrics and BullMQ's queue metrics. */
    metrics(): Promise<string>;
}

/** /healthz and /metrics, nothing else: the worker takes its work from the queue, not from HTTP. */
export async function startHealthServer(source: HealthSource, host: string, port: number): Promise<FastifyInstance> {
    const app = Fastify({ logger: false });
    app.get('/healthz', async (_req, reply) => {
        const health = source.health();
        return reply.code(health.state === 'consuming' ? 200 : 503).send(health);
    });
    app.get('/metrics', async (_req, reply) => {
        return reply.type('text/plain; version=0.0.4').send(await source.metrics());
    });
    await app.listen({ host, port });
    return app;
}
