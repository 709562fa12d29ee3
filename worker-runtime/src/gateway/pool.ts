/**
 * The proxies the gateway may use: one SDK client per proxy where the wallet has an account, in the registry's
 * order. Calls go to the current proxy; when it cannot be reached or has no worker, the next one takes over (only
 * before anything was streamed: a started answer is never sent twice). Model ids resolve through the serving
 * proxy's catalogue (its name, or its hash), cached for a short while.
 */
import { ChrysalisClient } from '../client/client';
import { ProxyError } from '../client/http';
import type { ProxyModel } from '../client/generativeCalls';
import { GatewayError } from './errors';

export interface ResolvedModel {
    client: ChrysalisClient;
    model: ProxyModel;
}

const CATALOG_TTL_MS = 30_000;

/** Failures that say "try another proxy": nothing was served, and the proxy (not the request) is the problem. */
export function proxyUnavailable(err: unknown): boolean {
    if (err instanceof ProxyError) return err.status === 503 || err.status === 502 || err.status === 504;
    // fetch throws TypeError('fetch failed') when the connection is refused or drops; timeouts are DOMExceptions; the
    // RA-TLS transport throws ProxyConnectionError, and RaTlsError for a proxy it refused before sending anything.
    // By name: the error may come from another realm (undici's), where instanceof fails.
    const name = (err as Error)?.name;
    return ['TypeError', 'TimeoutError', 'ProxyConnectionError', 'RaTlsError'].includes(name);
}

export class ProxyPool {
    private current = 0;
    private readonly catalogs = new Map<ChrysalisClient, { at: number; models: ProxyModel[] }>();
    private readonly refreshing = new Set<ChrysalisClient>();

    constructor(readonly clients: ChrysalisClient[]) {
        if (clients.length === 0) throw new RangeError('the gateway needs at least one proxy with an account');
    }

    /** Proxies in the order to try: the current one first. */
    private order(): ChrysalisClient[] {
        return this.clients.map((_, i) => this.clients[(this.current + i) % this.clients.length]);
    }

    /**
     * The proxy's catalogue, at most CATALOG_TTL_MS old; in the last fifth of that it is read again in the background,
     * so that a gateway in steady use never waits for it on a request's path.
     */
    private async catalog(client: ChrysalisClient): Promise<ProxyModel[]> {
        const cached = this.catalogs.get(client);
        const age = cached ? Date.now() - cached.at : Infinity;
        if (cached && age < CATALOG_TTL_MS) {
            if (age > (CATALOG_TTL_MS * 4) / 5 && !this.refreshing.has(client)) {
                this.refreshing.add(client);
                // A failed read leaves the cached one to expire at its time.
                this.readCatalog(client)
                    .catch(() => undefined)
                    .finally(() => this.refreshing.delete(client));
            }
            return cached.models;
        }
        return this.readCatalog(client);
    }

    private async readCatalog(client: ChrysalisClient): Promise<ProxyModel[]> {
        const models = await client.catalog();
        this.catalogs.set(client, { at: Date.now(), models });
        return models;
    }

    /** Every model of the first proxy that answers. */
    async models(): Promise<ProxyModel[]> {
        return this.withFailover(async (client) => this.catalog(client));
    }

    /**
     * Runs `call` on the proxy that serves `modelId` for `task`, failing over to the next proxy that serves it when
     * the proxy is unavailable.
     */
    async run<T>(
        modelId: string,
        tasks: readonly ProxyModel['task'][],
        call: (r: ResolvedModel) => Promise<T>,
    ): Promise<T> {
        return this.withFailover(async (client) => {
            const models = await this.catalog(client);
            const id = modelId.toLowerCase();
            const model = models.find((m) => m.name === modelId || m.hash === id);
            if (!model) throw new ModelMissing();
            if (!tasks.includes(model.task)) {
                throw new GatewayError(
                    400,
                    `model '${modelId}' is a ${model.task} model; this endpoint takes ${tasks.join(' or ')} models`,
                    'invalid_request_error',
                    'model_not_supported',
                    'model',
                );
            }
            return call({ client, model });
        }).catch((err) => {
            if (err instanceof ModelMissing) {
                throw new GatewayError(
                    404,
                    `the model '${modelId}' does not exist (GET /v1/models lists them)`,
                    'not_found_error',
                    'model_not_found',
                    'model',
                );
            }
            throw err;
        });
    }

    private async withFailover<T>(call: (client: ChrysalisClient) => Promise<T>): Promise<T> {
        let last: unknown;
        let missing = false;
        for (const client of this.order()) {
            try {
                const result = await call(client);
                this.current = this.clients.indexOf(client);
                return result;
            } catch (err) {
                if (err instanceof ModelMissing) {
                    missing = true;
                    continue;
                }
                if (!proxyUnavailable(err)) throw err;
                last = err;
            }
        }
        if (missing && last === undefined) throw new ModelMissing();
        if (last instanceof ProxyError) throw last;
        throw new GatewayError(
            503,
            `no proxy could be reached (${this.clients.map((c) => c.proxyUrl).join(', ')}): ${(last as Error)?.message}`,
            'service_unavailable',
            'proxy_unavailable',
        );
    }
}

class ModelMissing extends Error {}
