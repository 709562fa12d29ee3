import {
    ChatEngine,
    GenerateRequest,
    GenerateResult,
    InferenceUnavailableError,
    ModelNotAllowedError,
    InvalidInputError,
    TokenEvent,
    loadAllowedPackage,
    loadTextProcessor,
    staticModelRegistry,
} from '../../../worker-runtime/src/inference';
import { hfReference, packagePath, registryOfPackages } from './helpers';

const USER = [{ role: 'user', content: 'Hello there, what is the capital of France?' }];

async function collect(engine: ChatEngine, req: GenerateRequest) {
    const events: TokenEvent[] = [];
    const result = await engine.generate(req, (e) => events.push(e));
    return { result, events, streamed: events.map((e) => e.textDelta).join('') };
}

describe('chat engine on the tiny llama and qwen2 folders', () => {
    const registry = registryOfPackages();
    let llama: ChatEngine;
    let qwen: ChatEngine;
    /** Prefix cache off, prompts prefilled 5 tokens per pass. */
    let qwenPlain: ChatEngine;
    beforeAll(async () => {
        [llama, qwen, qwenPlain] = await Promise.all([
            ChatEngine.create(packagePath('chat-llama'), { registry }),
            ChatEngine.create(packagePath('chat-qwen2'), { registry }),
            ChatEngine.create(packagePath('chat-qwen2'), { registry, prefillChunk: 5, prefixCacheBytes: 0 }),
        ]);
    });
    afterAll(async () => {
        await llama?.close();
        await qwen?.close();
        await qwenPlain?.close();
    });

    it.each(['chat-llama', 'chat-qwen2'] as const)('%s: greedy ids equal @huggingface/transformers', async (name) => {
        const engine = name === 'chat-llama' ? llama : qwen;
        const ref = hfReference<{ promptIds: number[]; completionIds: number[] }>({
            task: 'chat',
            dir: packagePath(name),
            messages: USER,
            maxNewTokens: 24,
        });
        const { result, events, streamed } = await collect(engine, { messages: USER, maxTokens: 24 });
        expect(result.promptTokenIds).toEqual(ref.promptIds);
        expect(result.completionTokenIds).toEqual(ref.completionIds);
        expect(events.map((e) => e.tokenId)).toEqual(result.completionTokenIds);
        expect(events.map((e) => e.index)).toEqual(result.completionTokenIds.map((_, i) => i));
        expect(result.finishReason).toBe('length');
        expect(streamed).toBe(result.text);
        const text = loadTextProcessor(packagePath(name));
        expect(result.text).toBe(text.decode(result.completionTokenIds));
        expect(result.usage).toEqual({
            promptTokens: ref.promptIds.length,
            cachedTokens: 0,
            completionTokens: 24,
            reasoningTokens: 0,
        });
    });

    it.each(['chat-llama', 'chat-qwen2'] as const)(
        '%s: KV-cache decode equals full recompute over 64 tokens',
        async (name) => {
            const recompute = await ChatEngine.create(packagePath(name), { registry, kvCache: false });
            try {
                const req = { prompt: 'The quick brown fox', maxTokens: 64 };
                const cached = await (name === 'chat-llama' ? llama : qwen).generate(req);
                const full = await recompute.generate(req);
                expect(cached.completionTokenIds).toEqual(full.completionTokenIds);
            } finally {
                await recompute.close();
            }
        },
    );

    it('chunked prefill (graph without num_logits_to_keep) equals one-pass prefill', async () => {
        const req = { messages: USER, maxTokens: 16 };
        expect((await qwenPlain.generate(req)).completionTokenIds).toEqual(
            (await qwen.generate(req)).completionTokenIds,
        );
    });

    it('a seeded sampled request gives the same tokens alone and while another request samples', async () => {
        const req = { messages: USER, maxTokens: 40, temperature: 0.9, topP: 0.95, topK: 50, seed: 1234 };
        const alone = await qwen.generate(req);
        const [together] = await Promise.all([
            qwen.generate(req),
            qwen.generate({ prompt: 'Another request that samples too', maxTokens: 40, temperature: 1.2, seed: 99 }),
        ]);
        expect(together.completionTokenIds).toEqual(alone.completionTokenIds);
        const otherSeed = await qwen.generate({ ...req, seed: 1235 });
        expect(otherSeed.completionTokenIds).not.toEqual(alone.completionTokenIds);
        // Without a seed, the request id seeds the sampler: a repeat samples the same.
        const byId = { ...req, seed: undefined, requestId: 'req-42' };
        expect((await qwen.generate(byId)).completionTokenIds).toEqual((await qwen.generate(byId)).completionTokenIds);
    });

    it('four requests at once: each gets every token, in order, before its result', async () => {
        const runs = await Promise.all(
            [0, 1, 2, 3].map((i) =>
                collect(llama, { prompt: `Round ${i}: tell me about sealed queues`, maxTokens: 24 + 8 * i }),
            ),
        );
        for (const [i, { result, events, streamed }] of runs.entries()) {
            expect(result.completionTokenIds.length).toBe(24 + 8 * i);
            expect(events.map((e) => e.tokenId)).toEqual(result.completionTokenIds);
            expect(events.map((e) => e.index)).toEqual(result.completionTokenIds.map((_, k) => k));
            expect(streamed).toBe(result.text);
        }
    });

    it('stops before a stop string, never streaming it; stop ids end generation', async () => {
        const base = await collect(llama, { messages: USER, maxTokens: 48 });
        const clean = base.result.text.replace(/\uFFFD/g, '');
        // A stop string taken from the middle of the greedy text: generation must end right before its first occurrence.
        const stop = [...clean].slice(8, 11).join('');
        const expected = base.result.text.slice(0, base.result.text.indexOf(stop));
        const stopped = await collect(llama, { messages: USER, maxTokens: 48, stop: ['\u0001never', stop] });
        expect(stopped.result.finishReason).toBe('stop');
        expect(stopped.result.text).toBe(expected);
        expect(stopped.streamed).toBe(expected);
        expect(stopped.result.completionTokenIds).toEqual(
            base.result.completionTokenIds.slice(0, stopped.result.completionTokenIds.length),
        );
        const stopId = base.result.completionTokenIds[5];
        const byId = await llama.generate({ messages: USER, maxTokens: 48, stopTokenIds: [stopId] });
        expect(byId.finishReason).toBe('stop');
        expect(byId.completionTokenIds).toEqual(
            base.result.completionTokenIds.slice(0, base.result.completionTokenIds.indexOf(stopId) + 1),
        );
    });

    it('cancellation stops at the next step; the result counts exactly the tokens delivered', async () => {
        const controller = new AbortController();
        const events: TokenEvent[] = [];
        const result = await llama.generate({ messages: USER, maxTokens: 400, signal: controller.signal }, (e) => {
            events.push(e);
            if (e.index === 4) controller.abort();
        });
        expect(result.finishReason).toBe('cancelled');
        expect(result.completionTokenIds.length).toBeGreaterThanOrEqual(5);
        expect(result.completionTokenIds.length).toBeLessThan(20);
        expect(result.usage.completionTokens).toBe(events.length);
        expect(events.map((e) => e.tokenId)).toEqual(result.completionTokenIds);
        await expect(llama.generate({ prompt: 'x', maxTokens: 4, signal: controller.signal })).rejects.toThrow(
            InvalidInputError,
        );
    });

    it('a deadline stops generation at the next step', async () => {
        const past = await llama.generate({ messages: USER, maxTokens: 50, deadlineMs: Date.now() - 1 });
        expect(past.finishReason).toBe('deadline');
        expect(past.completionTokenIds).toEqual([]);
        const soon = await llama.generate({ messages: USER, maxTokens: 450, deadlineMs: Date.now() + 40 });
        expect(soon.finishReason).toBe('deadline');
        expect(soon.completionTokenIds.length).toBeLessThan(430);
    });

    it('reuses a shared prompt prefix: reports cached tokens and gives the same output as without the cache', async () => {
        const system = {
            role: 'system',
            content: 'You are a helpful assistant. The user asks a question and the assistant answers it.',
        };
        const first = [system, { role: 'user', content: 'What is the capital of France?' }];
        const second = [system, { role: 'user', content: 'Write a short poem about the sea.' }];
        await qwen.generate({ messages: first, maxTokens: 8 });
        const reused = await qwen.generate({ messages: second, maxTokens: 16 });
        const text = loadTextProcessor(packagePath('chat-qwen2'));
        const a = text.encodeChat(first);
        const b = text.encodeChat(second);
        let common = 0;
        while (a[common] === b[common]) common++;
        expect(reused.usage.cachedTokens).toBe(common);
        expect(common).toBeGreaterThan(15);
        const fresh = await qwenPlain.generate({ messages: second, maxTokens: 16 });
        expect(fresh.usage.cachedTokens).toBe(0);
        expect(reused.completionTokenIds).toEqual(fresh.completionTokenIds);
        // The same request again: everything but the last prompt token comes from the cache.
        const again = await qwen.generate({ messages: second, maxTokens: 16 });
        expect(again.usage.cachedTokens).toBe(b.length - 1);
        expect(again.completionTokenIds).toEqual(fresh.completionTokenIds);
    });

    it('refuses bad requests with named errors before generating', async () => {
        const bad: Array<Partial<GenerateRequest>> = [
            { messages: USER, maxTokens: 0 },
            { messages: USER, maxTokens: 100_000 },
            { messages: [], maxTokens: 4 },
            { messages: [{ role: 'wizard', content: 'hi' }], maxTokens: 4 },
            { messages: USER, prompt: 'both', maxTokens: 4 },
            { messages: USER, maxTokens: 4, temperature: -1 },
            { messages: USER, maxTokens: 4, topP: 0 },
            { messages: USER, maxTokens: 4, stop: ['a', 'b', 'c', 'd', 'e'] },
            { prompt: 'word '.repeat(600), maxTokens: 4 },
        ];
        for (const req of bad) await expect(llama.generate(req as GenerateRequest)).rejects.toThrow(InvalidInputError);
    });

    it('takes a package already read; its text files stay usable for the tokenizer-only loader', async () => {
        const pkg = loadAllowedPackage(packagePath('chat-llama'), registry);
        const engine = await ChatEngine.create(pkg, { registry });
        try {
            const result = await engine.generate({ messages: USER, maxTokens: 3 });
            expect(loadTextProcessor(pkg).encodeChat(USER)).toEqual(result.promptTokenIds);
            await expect(ChatEngine.create(pkg, { registry })).rejects.toThrow(/already moved/);
        } finally {
            await engine.close();
        }
    });

    it('closing mid-generation waits for the step in progress: generations in flight and later calls reject, the process lives on', async () => {
        // Ending the thread inside an ONNX Runtime run aborts the whole process (Napi::Error), so close must stop the
        // thread between runs. Closed from the token callback, while the next step is being computed.
        for (let round = 0; round < 3; round++) {
            const engine = await ChatEngine.create(packagePath('chat-llama'), { registry });
            let closing: Promise<void> | undefined;
            const tokens: number[] = [];
            const runs = [0, 1].map((i) =>
                engine.generate({ messages: USER, maxTokens: 400, seed: i, temperature: 1 }, (e) => {
                    tokens.push(e.tokenId);
                    if (tokens.length === 6 + round) closing ??= engine.close();
                }),
            );
            const outcomes = await Promise.allSettled(runs);
            await closing;
            for (const o of outcomes) {
                expect(o.status).toBe('rejected');
                expect((o as PromiseRejectedResult).reason).toBeInstanceOf(InferenceUnavailableError);
            }
            expect(tokens.length).toBeLessThan(400);
            await expect(engine.generate({ messages: USER, maxTokens: 2 })).rejects.toThrow(InferenceUnavailableError);
            await engine.close(); // again: nothing left to do
        }
        // This process is still here and serves on.
        expect((await llama.generate({ messages: USER, maxTokens: 2 })).completionTokenIds).toHaveLength(2);
    });

    it('refuses a folder whose hash is not on the registry', async () => {
        await expect(
            ChatEngine.create(packagePath('chat-llama'), { registry: staticModelRegistry([]) }),
        ).rejects.toThrow(ModelNotAllowedError);
    });
});

describe('chat engine on a model with a think span', () => {
    it('counts completion tokens inside the span as reasoning tokens', async () => {
        const dir = packagePath('chat-think');
        const engine = await ChatEngine.create(dir, { registry: registryOfPackages() });
        let result: GenerateResult;
        try {
            result = await engine.generate({ messages: USER, maxTokens: 30 });
        } finally {
            await engine.close();
        }
        const text = loadTextProcessor(dir);
        const { startId, endId } = text.thinkSpan!;
        // The template opens the span at the end of the prompt; it closes at the first </think> the model emits.
        expect(result.promptTokenIds.slice(-2)[0]).toBe(startId);
        const close = result.completionTokenIds.indexOf(endId);
        expect(result.usage.reasoningTokens).toBe(close < 0 ? result.completionTokenIds.length : close + 1);
        expect(result.usage.reasoningTokens).toBeGreaterThan(0);
    });
});
