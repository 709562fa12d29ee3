/**
 * The devnet's TON HTTP API: toncenter's v2 JSON-RPC (`POST /jsonRPC`, also under `/api/v2/`, and each method as
 * `GET /api/v2/<method>?...`) over a sandbox `Blockchain`, plus the devnet's admin calls: the faucet and the clock.
 * A thin adapter: the sandbox runs every message as it arrives, and this only translates.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Address, fromNano, toNano } from '@ton/core';
import type { Blockchain } from '@ton/sandbox';
import { DEVNET_CLOCK_CACHE_MS } from '../../chain/devnetClock';
import { ChainClock } from './clock';
import { Serial } from './serial';
import { Faucet, FaucetError } from './faucet';
import { TransactionHistory } from './history';
import { METHODS, MethodContext, Params, TonApiError, unknownMethod } from './methods';
import { TonApiParamError } from './format';

export interface TonApiOptions {
    blockchain: Blockchain;
    /** 0 = any free port. */
    port?: number;
    host?: string;
    /** Chain seconds per wall-clock second (default 1). */
    timeScale?: number;
    /** How often the sandbox's clock is moved to the chain time between requests (ms; default 1000). */
    tickMs?: number;
}

export interface TonApi {
    /** The JSON-RPC endpoint, `http://host:port/jsonRPC`: what TonClient and blueprint's `--custom` take. */
    url: string;
    /** `http://host:port`: the admin calls are under `/admin/`. */
    baseUrl: string;
    port: number;
    clock: ChainClock;
    faucet: Faucet;
    history: TransactionHistory;
    close(): Promise<void>;
}

const KEEP_ALIVE_MS = 75_000;

/** The largest request body (a BOC of a big contract deployment fits many times over). */
const MAX_BODY = 16 * 1024 * 1024;

export async function startTonApi(options: TonApiOptions): Promise<TonApi> {
    const { blockchain } = options;
    const host = options.host ?? '127.0.0.1';
    const clock = new ChainClock(blockchain, options.timeScale ?? 1);
    clock.tick();
    const history = new TransactionHistory(blockchain);
    const faucet = new Faucet(blockchain, clock);
    const ctx: MethodContext = { blockchain, history, clock };
    const serial = new Serial();

    const server = createServer((req, res) => {
        handle(req, res, ctx, faucet, serial).catch((err) =>
            send(res, 500, { ok: false, error: String(err), code: 500 }),
        );
    });
    // Idle connections are kept longer than clients keep them (Node's agent: 5 s), as toncenter's nginx does (75 s):
    // a client then never reuses a connection the server has just closed (ECONNRESET), even when the sandbox keeps
    // this process busy for seconds.
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    server.headersTimeout = KEEP_ALIVE_MS + 1000;
    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, host, () => resolve());
    });
    // Between requests too: the in-process roles read the sandbox's clock directly.
    const ticker = setInterval(() => clock.tick(), options.tickMs ?? 1000);
    ticker.unref();
    const port = (server.address() as AddressInfo).port;
    const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return {
        url: `${baseUrl}/jsonRPC`,
        baseUrl,
        port,
        clock,
        faucet,
        history,
        async close() {
            clearInterval(ticker);
            history.close();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: MethodContext,
    faucet: Faucet,
    serial: Serial,
): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://devnet');
    const path = url.pathname.replace(/^\/api\/v2(?=\/)/, '').replace(/\/+$/, '');
    if (path === '/jsonRPC' && req.method === 'POST') {
        let id: unknown = null;
        try {
            const body = await readJson(req);
            id = body.id ?? null;
            const method = body.method;
            if (typeof method !== 'string') throw new TonApiParamError('method is required');
            const params = (body.params ?? {}) as Params;
            if (typeof params !== 'object' || Array.isArray(params))
                throw new TonApiParamError('params must be an object');
            return answer(res, id, await serial.run(() => call(ctx, method, params)));
        } catch (err) {
            return fail(res, id, err);
        }
    }
    if (path.startsWith('/admin/')) return admin(req, res, path.slice('/admin/'.length), ctx, faucet, serial);
    if (req.method === 'GET' && /^\/\w+$/.test(path)) {
        // toncenter's REST form: every parameter a query string value (the stack as JSON).
        try {
            return answer(
                res,
                null,
                await serial.run(() => call(ctx, path.slice(1), Object.fromEntries(url.searchParams))),
            );
        } catch (err) {
            return fail(res, null, err);
        }
    }
    send(res, 404, { ok: false, error: `no route ${req.method} ${url.pathname}`, code: 404 });
}

function call(ctx: MethodContext, method: string, params: Params): Promise<unknown> {
    const run = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!run) throw unknownMethod(method);
    return run(ctx, params);
}

/** `POST /admin/fund {address, amount}` (TON), `POST /admin/advance {seconds}`, `GET /admin/time`. */
async function admin(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    ctx: MethodContext,
    faucet: Faucet,
    serial: Serial,
): Promise<void> {
    try {
        if (name === 'time' && req.method === 'GET') {
            return answer(res, null, { now: ctx.clock.tick(), timeScale: ctx.clock.timeScale });
        }
        if (req.method !== 'POST') throw new TonApiError(404, `no route ${req.method} /admin/${name}`);
        const body = await readJson(req);
        if (name === 'fund') {
            const address = parseAddress(body.address);
            const amount = parseTon(body.amount);
            const funded = await serial.run(() => faucet.fund(address, amount));
            return answer(res, null, {
                address: funded.address.toString({ bounceable: false, testOnly: true }),
                amount: fromNano(funded.amount),
                balance: fromNano(funded.balance),
                transaction: { lt: funded.lt.toString(), hash: funded.hash.toString('hex') },
            });
        }
        if (name === 'advance') {
            const seconds = Number(body.seconds);
            if (!Number.isInteger(seconds) || seconds < 0) {
                throw new TonApiParamError(
                    `seconds must be a non-negative integer, got ${JSON.stringify(body.seconds)}`,
                );
            }
            const now = ctx.clock.advance(seconds);
            // Clients keep a clock reading that long (TonChain on the devnet): once this answers, none predates it.
            await new Promise((resolve) => setTimeout(resolve, DEVNET_CLOCK_CACHE_MS));
            return answer(res, null, { now, timeScale: ctx.clock.timeScale });
        }
        throw new TonApiError(404, `no route POST /admin/${name}`);
    } catch (err) {
        return fail(res, null, err);
    }
}

function parseAddress(raw: unknown): Address {
    if (typeof raw !== 'string') throw new TonApiParamError('address is required');
    try {
        return Address.parse(raw);
    } catch {
        throw new TonApiParamError(`"${raw}" is not a TON address`);
    }
}

/** An amount of TON as a decimal string ("1.5") or number. */
export function parseTon(raw: unknown): bigint {
    const text = typeof raw === 'number' ? String(raw) : raw;
    if (typeof text !== 'string' || !/^\d+(\.\d{1,9})?$/.test(text)) {
        throw new TonApiParamError(`amount must be an amount of TON such as 1.5, got ${JSON.stringify(raw)}`);
    }
    return toNano(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY) throw new TonApiError(413, `the request body is over ${MAX_BODY} bytes`);
        chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return {};
    let body: unknown;
    try {
        body = JSON.parse(text);
    } catch {
        throw new TonApiParamError('the request body is not JSON');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body))
        throw new TonApiParamError('the body must be a JSON object');
    return body as Record<string, unknown>;
}

function answer(res: ServerResponse, id: unknown, result: unknown): void {
    send(res, 200, { ok: true, result, jsonrpc: '2.0', id });
}

/** toncenter's error shape, with its HTTP status: 422 for bad parameters, 500 for what the chain refused. */
function fail(res: ServerResponse, id: unknown, err: unknown): void {
    const code =
        err instanceof TonApiError
            ? err.code
            : err instanceof TonApiParamError || err instanceof FaucetError
              ? 422
              : 500;
    send(res, code, { ok: false, error: (err as Error).message ?? String(err), code, jsonrpc: '2.0', id });
}

function send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
}
