/**
 * One request that rides out a proxy going away (a crash, a restart) for up to a given time: a request whose proxy
 * could not be reached, or answered 503, is settled by the proxy's record of it when it was charged (the answer was
 * lost, the charge was not) and sent again under a new id when it was not. A charge is one Redis script on the proxy,
 * so a request is either charged with its record or not at all: nothing is paid twice, nothing answered is lost.
 * The devnet's stream and `chrysalis client infer --inputs … --recover-for` both send through it.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ChrysalisClient, InferResult } from './client';
import { ProxyError } from './http';

export interface RiddenOut {
    requestId: string;
    /** The answer; null when it was lost with the proxy and the request was settled by the proxy's record. */
    response: InferResult | null;
    workerKey: string;
    tokens: number;
    /** It met an unreachable or unavailable proxy on the way (and was sent again, or settled by the record). */
    recovered: boolean;
}

/** What the proxy keeps of a charged request (GET /v1/receipts/:id): enough to count its tokens and who served it. */
interface ChargedRecord {
    model: string;
    workerKey: string;
    tokens: number;
}

const RETRY_PAUSE_MS = 250;

/** Sends one request through `client`; with `recoverForMs` > 0, rides out a proxy that is gone for up to that long. */
export async function inferRidingOut(
    client: ChrysalisClient,
    model: string,
    inputs: Record<string, unknown>,
    recoverForMs = 0,
): Promise<RiddenOut> {
    const deadline = performance.now() + recoverForMs;
    let recovered = false;
    for (;;) {
        const requestId = randomBytes(32).toString('hex');
        try {
            const response = await client.infer(model, inputs, requestId);
            return { requestId, response, workerKey: response.workerKey, tokens: response.tokens, recovered };
        } catch (err) {
            const unavailable = err instanceof ProxyError && err.status === 503;
            if (recoverForMs <= 0 || performance.now() > deadline || !(unavailable || unreachable(err))) throw err;
            recovered = true;
            const charged = unavailable ? null : await recordOnceReachable(client, requestId, deadline);
            if (charged) {
                if (charged.model !== model.toLowerCase()) {
                    throw new Error(`receipt ${requestId} names model ${charged.model}`);
                }
                return { requestId, response: null, workerKey: charged.workerKey, tokens: charged.tokens, recovered };
            }
        }
        await sleep(RETRY_PAUSE_MS);
    }
}

/**
 * The HTTP request itself failed (refused, reset, timed out): the proxy may or may not have charged it. Every
 * transport reports a socket error with the system's code as its cause (fetch: `fetch failed`).
 */
function unreachable(err: unknown): boolean {
    const e = err as { name?: string; message?: string; cause?: { code?: unknown } };
    if (e?.name === 'TimeoutError' || /fetch failed/.test(e?.message ?? '')) return true;
    return typeof e?.cause?.code === 'string' && /^E[A-Z]+$/.test(e.cause.code);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The proxy's record of a request once the proxy answers again: the record when it was charged, null when not (404). */
async function recordOnceReachable(
    client: ChrysalisClient,
    requestId: string,
    deadline: number,
): Promise<ChargedRecord | null> {
    for (;;) {
        try {
            return (await client.receipt(requestId)) as unknown as ChargedRecord;
        } catch (err) {
            if (err instanceof ProxyError && err.status === 404) return null;
            // not reachable yet
        }
        if (performance.now() > deadline) throw new Error(`the proxy did not come back to answer for ${requestId}`);
        await sleep(RETRY_PAUSE_MS);
    }
}
