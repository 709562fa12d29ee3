/**
 * `chrysalis client infer --inputs <requests.jsonl>`: many requests from one process, a few in flight at once. One
 * process, because the requests of an account share one voucher chain: two senders on one account would each see the
 * other's usage in their vouchers and refuse them (docs/client.md, "Verification"). Each answer is checked as a single
 * `infer` checks it (receipt, staked and attested worker, charge voucher); the latest committable voucher is kept in
 * the voucher file as it arrives (atomically), so a request that fails, or a process that dies, loses none of the
 * usage already answered; each receipt is kept in the receipt folder as `<request id>.json` (what `verify-receipt`
 * checks).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChrysalisClient, ProxyError, ReceiptError } from '../client';
import { writeFileAtomicSync } from '../client/atomicFile';
import { inferRidingOut } from '../client/ridingOut';
import type { ReceiptBundle } from '../client/receiptFile';
import type { SignedAnnouncement } from '../protocol/announcement';
import { toWireMap } from '../inference/codec';
import type { VoucherJson } from '../roles/proxy/vouchers';

/** The requests file is not what `--inputs` takes: a usage error (exit 2), naming the line. */
export class BatchInputError extends Error {}

export interface BatchRequest {
    /** Its line in the file (1-based): how answers, which come in any order, name their request. */
    line: number;
    model: string;
    inputs: Record<string, unknown>;
}

export interface BatchOptions {
    requests: BatchRequest[];
    concurrency: number;
    /** Ride out a proxy that is gone (a restart) for up to this long (client/ridingOut.ts); 0: a failure is final. */
    recoverForMs: number;
    json: boolean;
    voucherFile: string;
    receiptDir: string;
}

/** One request per line: `{"model": "<hash>", "inputs": {<name>: <tensor>}}` ("model" optional with `--model`). */
export function readBatch(file: string, defaultModel?: string): BatchRequest[] {
    let text: string;
    try {
        text = readFileSync(file, 'utf8');
    } catch (err) {
        throw new BatchInputError(`cannot read ${file}: ${(err as Error).message}`);
    }
    const requests: BatchRequest[] = [];
    text.split('\n').forEach((raw, i) => {
        if (!raw.trim()) return;
        const where = `${file} line ${i + 1}`;
        let parsed: unknown;
        try {
            parsed = JSON.parse(raw);
        } catch (err) {
            throw new BatchInputError(`${where} is not JSON: ${(err as Error).message}`);
        }
        const r = parsed as { model?: unknown; inputs?: unknown };
        if (!isObject(r) || !isObject(r.inputs)) {
            throw new BatchInputError(`${where}: expected {"model": "<hash>", "inputs": {<name>: <tensor>, ...}}`);
        }
        const model = r.model ?? defaultModel;
        if (typeof model !== 'string' || !model) throw new BatchInputError(`${where} names no model (nor --model)`);
        requests.push({ line: i + 1, model, inputs: r.inputs });
    });
    if (requests.length === 0) throw new BatchInputError(`${file} holds no request`);
    return requests;
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why a request failed, as a single `infer` says it. */
function failure(err: unknown): string {
    if (err instanceof ProxyError) return `the proxy refused: ${err.message}`;
    if (err instanceof ReceiptError) return `receipt: REFUSED: ${err.message}`;
    return (err as Error).message;
}

/** Sends every request of the file; 0 when all were answered, 1 when any failed (each failure has its line). */
export async function inferBatch(
    client: ChrysalisClient,
    o: BatchOptions,
    out: (line: string) => void,
): Promise<number> {
    const { requests } = o;
    mkdirSync(o.receiptDir, { recursive: true });
    // The kept voucher is where this session's vouchers are checked from (the proxy's count goes on).
    let kept: VoucherJson | null = null;
    try {
        kept = JSON.parse(readFileSync(o.voucherFile, 'utf8')) as VoucherJson;
    } catch {
        // none kept yet
    }
    if (kept) client.resumeFrom(kept);
    client.onVoucherKept = (v) => writeFileAtomicSync(o.voucherFile, JSON.stringify(v));
    // NaN and ±Infinity are printed by name (JSON would print null), as a single `infer` prints them.
    const named = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
    // The worker's announcement goes into each receipt kept, for offline checks: asked once per worker. The answer
    // was checked against it already; a proxy gone when it is asked (a restart) is asked again while the requests
    // ride it out, and after that the receipt is kept without it (an offline check then says what is missing).
    const announcements = new Map<string, SignedAnnouncement>();
    const announcement = async (workerKey: string): Promise<SignedAnnouncement | undefined> => {
        const deadline = performance.now() + o.recoverForMs;
        for (;;) {
            const known = announcements.get(workerKey);
            if (known) return known;
            try {
                const fetched = await client.workerAnnouncement(workerKey);
                if (fetched) announcements.set(workerKey, fetched);
                return fetched;
            } catch {
                if (performance.now() > deadline) return undefined;
                await new Promise((r) => setTimeout(r, 250));
            }
        }
    };
    let failed = 0;
    const one = async (r: BatchRequest) => {
        const t0 = performance.now();
        try {
            const res = await inferRidingOut(client, r.model, r.inputs, o.recoverForMs);
            const ms = Math.round((performance.now() - t0) * 100) / 100;
            const cumulative = res.response?.voucher.cumulative ?? client.latestVoucher?.cumulative ?? null;
            let receiptFile: string | null = null;
            if (res.response) {
                receiptFile = join(o.receiptDir, `${res.requestId}.json`);
                // The receipt hashes the wire form: keep the inputs and outputs exactly as they went over the wire.
                const bundle: ReceiptBundle = {
                    request: { requestId: res.requestId, model: r.model.toLowerCase(), inputs: toWireMap(r.inputs) },
                    outputs: res.response.encodedOutputs,
                    receipt: res.response.receipt,
                    announcement: await announcement(res.workerKey),
                };
                writeFileAtomicSync(receiptFile, JSON.stringify(bundle));
            }
            if (o.json) {
                const answer = {
                    line: r.line,
                    requestId: res.requestId,
                    model: r.model.toLowerCase(),
                    outputs: res.response?.outputs ?? null,
                    tokens: res.tokens,
                    cumulative,
                    workerKey: res.workerKey,
                    // Recovered without its answer: settled by the proxy's record, no signed receipt to check.
                    receiptVerified: res.response !== null,
                    receiptFile,
                    recovered: res.recovered,
                    ms,
                };
                out(JSON.stringify(answer, named));
            } else {
                const receipt = res.response
                    ? `receipt verified, signed by worker ${res.workerKey}`
                    : `answer lost with the proxy, settled by its record (worker ${res.workerKey})`;
                out(`line ${r.line}: tokens ${res.tokens}; cumulative units ${cumulative}; ${receipt}`);
            }
        } catch (err) {
            failed += 1;
            const error = failure(err);
            out(
                o.json
                    ? JSON.stringify({ line: r.line, model: r.model.toLowerCase(), error })
                    : `line ${r.line}: FAILED: ${error}`,
            );
        }
    };
    let next = 0;
    const lanes = Array.from({ length: Math.min(o.concurrency, requests.length) }, async () => {
        while (next < requests.length) await one(requests[next++]);
    });
    await Promise.all(lanes);
    if (!o.json) {
        out(
            `${requests.length - failed}/${requests.length} requests answered; latest voucher in ${o.voucherFile}, ` +
                `receipts in ${o.receiptDir}`,
        );
    }
    return failed === 0 ? 0 : 1;
}
