/**
 * The devnet's generative demo: a streamed chat, an embedding batch and a transcription through the proxy as the demo
 * client, each receipt checked; returns what each was billed, by token kind and by worker operator, for the
 * settlement checks and the summary.
 */
import { generationReceiptValid, readSse, signedGenerativeRequest } from '../client/generative';
import { SignedRequest } from '../protocol/request';
import { TokenCounts, TokenMultipliersBps } from '../protocol/voucher';
import type { VoucherJson } from '../roles/proxy/vouchers';
import { billedCounts, addCounts } from '../roles/proxy/generative/metering';
import { encodeWav } from '../inference/generative/wav';
import type { GenerateResponse, UsageJson } from '../roles/proxy/generative/service';
import type { SdkClientSession } from './run';
import type { DevnetView } from './view';

export interface GenerativeDemoResult {
    /** One line per request, for the summary. */
    lines: string[];
    failed: number;
    errors: string[];
    /** Billed tokens of every kind (disjoint), in total and per worker operator. */
    counts: TokenCounts;
    countsByOperator: Record<number, TokenCounts>;
    /** Time to the first streamed token of the chat, ms. */
    chatFirstTokenMs: number;
    /** The network's multipliers, basis points per kind (for the summary's units). */
    multipliersBps: TokenMultipliersBps;
    /**
     * The highest charge voucher these requests got: they are signed on the client's account outside its SDK session,
     * so the SDK continues from this one (ChrysalisClient.resumeFrom) instead of counting their usage as unexplained.
     */
    lastVoucher: VoucherJson | null;
    /** How the requests went, when not as the demo client's own signed requests (the summary says so). */
    via?: string;
}

const ZERO: TokenCounts = { prompt: 0n, cached: 0n, completion: 0n, reasoning: 0n };

/** An empty result for `network`'s multipliers (also the gateway demo's, gatewayDemo.ts). */
export function emptyDemoResult(network: DevnetView): GenerativeDemoResult {
    return {
        lines: [],
        failed: 0,
        errors: [],
        counts: { ...ZERO },
        countsByOperator: {},
        chatFirstTokenMs: 0,
        lastVoucher: null,
        multipliersBps: {
            prompt: network.params.promptMultiplierBps,
            cached: network.params.cachedMultiplierBps,
            completion: network.params.completionMultiplierBps,
            reasoning: network.params.reasoningMultiplierBps,
        },
    };
}

/** Adds one request's billed usage to `result`, by kind and by the operator of the worker that served it. */
export function billRequest(
    result: GenerativeDemoResult,
    network: DevnetView,
    what: string,
    usage: UsageJson,
    workerKey: string,
): void {
    const op =
        network.workers.find((w) => w.keys.some((k) => k.keyPair.publicKey.toString('hex') === workerKey))?.index ?? -1;
    const counts = billedCounts(usage);
    result.counts = addCounts(result.counts, counts);
    result.countsByOperator[op] = addCounts(result.countsByOperator[op] ?? { ...ZERO }, counts);
    result.lines.push(
        `${what}: prompt ${usage.promptTokens} (cached ${usage.cachedTokens}), completion ${usage.completionTokens} ` +
            `(reasoning ${usage.reasoningTokens})`,
    );
}

export async function runGenerativeDemo(devnet: SdkClientSession): Promise<GenerativeDemoResult> {
    const { network } = devnet;
    const result = emptyDemoResult(network);
    const who = { account: network.client.account.address.toString(), secretKey: network.client.keyPair.secretKey };
    // The demo client's own channel (RA-TLS, verified and pinned), with requests signed here.
    const post = (path: string, signed: SignedRequest) =>
        devnet.client.proxy.send({ method: 'POST', path, signed: { body: signed.body, headers: signed.headers } });
    const keep = (voucher: VoucherJson) => {
        if (!result.lastVoucher || BigInt(voucher.cumulative) > BigInt(result.lastVoucher.cumulative)) {
            result.lastVoucher = voucher;
        }
    };
    const bill = (what: string, usage: UsageJson, workerKey: string) =>
        billRequest(result, network, what, usage, workerKey);
    const fail = (what: string, err: unknown) => {
        result.failed++;
        result.errors.push(`${what}: ${(err as Error)?.message ?? String(err)}`);
    };
    for (const m of network.models.filter((x) => x.package)) {
        try {
            if (m.kind === 'chat') {
                const inputs = {
                    messages: [{ role: 'user', content: 'What does a sealed queue protect?' }],
                    max_tokens: 32,
                    temperature: 0.7,
                    stream: true,
                };
                const req = signedGenerativeRequest({ model: m.hashHex, inputs, ...who });
                const t0 = performance.now();
                const res = await post('/v1/generate', req);
                if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
                let text = '';
                const ids: number[] = [];
                let done = null as Omit<GenerateResponse, 'text'> | null;
                for await (const e of readSse(res.body!)) {
                    if (e.event === 'delta') {
                        const d = e.data as { tokenIds: number[]; text: string };
                        if (ids.length === 0) result.chatFirstTokenMs = performance.now() - t0;
                        ids.push(...d.tokenIds);
                        text += d.text;
                    } else if (e.event === 'done') done = e.data as typeof done;
                    else throw new Error(`stream error: ${JSON.stringify(e.data)}`);
                }
                if (!done) throw new Error('the stream ended without a done event');
                const valid = generationReceiptValid({
                    registry: network.registry.address,
                    requestId: req.requestId,
                    model: m.hashHex,
                    inputs,
                    completionTokenIds: ids,
                    text,
                    finishReason: done.finishReason,
                    usage: done.usage,
                    receipt: done.receipt,
                });
                if (!valid) throw new Error('the generation receipt does not verify');
                bill(`${m.name} streamed chat (${done.finishReason})`, done.usage, done.workerKey);
                keep(done.voucher);
            } else if (m.kind === 'text-embedding') {
                const input = ['private inference', 'on TON', 'sealed queues and receipts'];
                const res = await post(
                    '/v1/embed',
                    signedGenerativeRequest({ model: m.hashHex, inputs: { input }, ...who }),
                );
                if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
                const json = (await res.json()) as {
                    embeddings: number[][];
                    usage: UsageJson;
                    workerKey: string;
                    voucher: VoucherJson;
                };
                if (json.embeddings.length !== input.length) throw new Error('one embedding per input expected');
                bill(`${m.name} embedding batch of ${input.length}`, json.usage, json.workerKey);
                keep(json.voucher);
            } else if (m.kind === 'speech-to-text') {
                const samples = new Float32Array(16000 * 2).map(
                    (_, i) => 0.3 * Math.sin((2 * Math.PI * 330 * i) / 16000),
                );
                const inputs = { audio: Buffer.from(encodeWav(samples)).toString('base64'), max_tokens: 16 };
                const res = await post('/v1/transcribe', signedGenerativeRequest({ model: m.hashHex, inputs, ...who }));
                if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
                const json = (await res.json()) as {
                    usage: UsageJson;
                    workerKey: string;
                    audioSeconds: number;
                    voucher: VoucherJson;
                };
                bill(`${m.name} transcription of ${json.audioSeconds} s`, json.usage, json.workerKey);
                keep(json.voucher);
            }
        } catch (err) {
            fail(m.name, err);
        }
    }
    return result;
}
