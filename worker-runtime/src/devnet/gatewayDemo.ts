/**
 * The generative demo as an app sends it (`npm run devnet -- --processes`): a streamed chat, an embedding batch and a
 * transcription through the gateway process (`chrysalis client serve`) with the official `openai` package. The gateway
 * signs each request with its own wallet, checks each receipt and voucher, and commits its account's vouchers; this
 * side reads back what each request was billed (OpenAI's usage, and the worker key in the `chrysalis` extension) for
 * the settlement checks, as generativeDemo.ts does for the demo client's own requests.
 */
import OpenAI, { toFile } from 'openai';
import { encodeWav } from '../inference/generative/wav';
import type { UsageJson } from '../roles/proxy/generative/service';
import { billRequest, emptyDemoResult, GenerativeDemoResult } from './generativeDemo';
import type { DevnetView } from './view';

/** OpenAI's usage fields as the gateway fills them (gateway/responses.ts). */
interface OpenAIUsage {
    prompt_tokens: number;
    completion_tokens: number;
    prompt_tokens_details?: { cached_tokens?: number };
    completion_tokens_details?: { reasoning_tokens?: number };
}

/** The `chrysalis` extension of a gateway answer. */
interface Extension {
    worker_key: string;
    finish_reason?: string;
    usage?: OpenAIUsage;
}

/** The proxy's usage back from OpenAI's fields (the same four counts, renamed). */
function usageJson(u: OpenAIUsage): UsageJson {
    return {
        promptTokens: u.prompt_tokens,
        cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
        completionTokens: u.completion_tokens,
        reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
        totalTokens: u.prompt_tokens + u.completion_tokens,
    };
}

export async function runGatewayDemo(network: DevnetView, gatewayUrl: string): Promise<GenerativeDemoResult> {
    const result = emptyDemoResult(network);
    result.via = `the gateway process at ${gatewayUrl} (chrysalis client serve), with the openai package`;
    const openai = new OpenAI({ baseURL: gatewayUrl, apiKey: 'unused', maxRetries: 0 });
    const bill = (what: string, usage: OpenAIUsage, ext: Extension) =>
        billRequest(result, network, what, usageJson(usage), ext.worker_key);
    for (const m of network.models.filter((x) => x.package)) {
        try {
            if (m.kind === 'chat') {
                const t0 = performance.now();
                const stream = await openai.chat.completions.create({
                    model: m.name,
                    messages: [{ role: 'user', content: 'What does a sealed queue protect?' }],
                    max_tokens: 32,
                    temperature: 0.7,
                    stream: true,
                    stream_options: { include_usage: true },
                });
                let usage: OpenAIUsage | null = null;
                let ext: Extension | null = null;
                for await (const chunk of stream) {
                    // The first chunk, whatever it carries: the gateway sends no chunk for a token whose text is
                    // empty (a partial character), and a short answer may have no visible text at all.
                    if (result.chatFirstTokenMs === 0) result.chatFirstTokenMs = performance.now() - t0;
                    if (chunk.usage) usage = chunk.usage;
                    const e = (chunk as unknown as { chrysalis?: Extension }).chrysalis;
                    if (e) ext = e;
                }
                if (!usage || !ext) throw new Error('the stream ended without its usage and finish chunks');
                bill(`${m.name} streamed chat (${ext.finish_reason})`, usage, ext);
            } else if (m.kind === 'text-embedding') {
                const input = ['private inference', 'on TON', 'sealed queues and receipts'];
                const res = await openai.embeddings.create({ model: m.name, input });
                if (res.data.length !== input.length) throw new Error('one embedding per input expected');
                const ext = (res as unknown as { chrysalis: Extension }).chrysalis;
                // An embedding is billed for its prompt tokens only.
                const usage = { prompt_tokens: res.usage.prompt_tokens, completion_tokens: 0 };
                bill(`${m.name} embedding batch of ${input.length}`, usage, ext);
            } else if (m.kind === 'speech-to-text') {
                const samples = new Float32Array(16000 * 2).map(
                    (_, i) => 0.3 * Math.sin((2 * Math.PI * 330 * i) / 16000),
                );
                const file = await toFile(Buffer.from(encodeWav(samples)), 'tone.wav', { type: 'audio/wav' });
                const res = await openai.audio.transcriptions.create({ model: m.name, file });
                const extra = res as unknown as { chrysalis: Extension; usage: { seconds: number } };
                if (!extra.chrysalis.usage) throw new Error('the transcription carries no billed tokens');
                bill(`${m.name} transcription of ${extra.usage.seconds} s`, extra.chrysalis.usage, extra.chrysalis);
            }
        } catch (err) {
            result.failed++;
            result.errors.push(`${m.name} (through the gateway): ${(err as Error)?.message ?? String(err)}`);
        }
    }
    return result;
}
