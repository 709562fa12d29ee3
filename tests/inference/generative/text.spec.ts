import { IncrementalText } from '../../../worker-runtime/src/inference/generative/incrementalText';
import { PrefixCache, sliceKv } from '../../../worker-runtime/src/inference/generative/prefixCache';
import { SeededRandom, sampleToken } from '../../../worker-runtime/src/inference/generative/sampler';
import { countReasoningTokens, loadTextProcessor, readModelPackage } from '../../../worker-runtime/src/inference';
import { packagePath } from './helpers';

describe('text processor (tokenizer + chat template, no weights)', () => {
    it('renders the template, counts prompt tokens, and hashes the whole package while keeping only text files', () => {
        const text = loadTextProcessor(packagePath('chat-llama'));
        expect(text.hash).toBe(readModelPackage(packagePath('chat-llama')).hash);
        const prompt = text.renderChat([{ role: 'user', content: 'hi' }]);
        // SmolLM2-style: a default system prompt when none is given, then the assistant turn opened.
        expect(prompt).toMatch(
            /^<\|im_start\|>system\n.*<\|im_end\|>\n<\|im_start\|>user\nhi<\|im_end\|>\n<\|im_start\|>assistant\n$/s,
        );
        expect(text.encodeChat([{ role: 'user', content: 'hi' }])).toEqual(
            text.encode(prompt, { addSpecialTokens: false }),
        );
        expect(text.decode(text.encode('Paris is the capital of France.'))).toBe('Paris is the capital of France.');
        expect(text.contextLength).toBe(512);
        expect(() => text.encodeChat([{ role: 'robot', content: 'x' }])).toThrow(/not one of/);
    });

    it('streams UTF-8 safely: a character split across byte tokens is held back until complete', () => {
        const text = loadTextProcessor(packagePath('chat-qwen2'));
        const s = 'héllo wörld 😀 日本語 ok';
        const ids = text.encode(s);
        const inc = new IncrementalText((x) => text.decode(x));
        const deltas: string[] = [];
        for (let i = 1; i <= ids.length; i++) deltas.push(inc.push(ids.slice(0, i)));
        expect(deltas.join('')).toBe(s);
        for (const d of deltas) expect(d).not.toContain('\uFFFD');
        // The emoji is 4 bytes with no merge: several tokens give no text until the last of them.
        expect(deltas.filter((d) => d === '').length).toBeGreaterThan(2);
    });

    it('counts reasoning tokens inside the think span, including a span the prompt opened', () => {
        const span = { startId: 7, endId: 8 };
        expect(countReasoningTokens(span, [1, 2], [3, 7, 4, 5, 8, 6])).toBe(4);
        expect(countReasoningTokens(span, [1, 7], [4, 5, 8, 6, 6])).toBe(3);
        expect(countReasoningTokens(span, [1, 7, 8], [4, 5])).toBe(0);
        expect(countReasoningTokens(undefined, [7], [4, 5])).toBe(0);
    });
});

describe('sampler', () => {
    const logits = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i * 1.7) * 3);

    it('is greedy at temperature 0 and with top-k 1; reproducible per seed', () => {
        const best = logits.indexOf(Math.max(...logits));
        expect(sampleToken(logits, {}, new SeededRandom('a'))).toBe(best);
        expect(sampleToken(logits, { temperature: 2, topK: 1 }, new SeededRandom('a'))).toBe(best);
        expect(sampleToken(logits, { temperature: 1, topP: 1e-6 }, new SeededRandom('a'))).toBe(best);
        const draw = (seed: string) => {
            const r = new SeededRandom(seed);
            return Array.from({ length: 30 }, () => sampleToken(logits, { temperature: 1.5, topK: 20, topP: 0.9 }, r));
        };
        expect(draw('s1')).toEqual(draw('s1'));
        expect(draw('s1')).not.toEqual(draw('s2'));
        // top-k 3 never leaves the three best ids.
        const top3 = [...logits.keys()].sort((a, b) => logits[b] - logits[a]).slice(0, 3);
        const r = new SeededRandom('k');
        for (let i = 0; i < 200; i++) expect(top3).toContain(sampleToken(logits, { temperature: 5, topK: 3 }, r));
    });
});

describe('prefix cache', () => {
    const kv = (len: number, fill: number) =>
        new Map([
            [
                'past_key_values.0.key',
                { data: Float32Array.from({ length: 2 * len * 4 }, (_, i) => fill + i), dims: [1, 2, len, 4] },
            ],
        ]);

    it('slices keys/values to a prefix per head', () => {
        const t = kv(3, 0).get('past_key_values.0.key')!;
        const s = sliceKv(t, 2);
        expect(s.dims).toEqual([1, 2, 2, 4]);
        expect(Array.from(s.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 17, 18, 19]);
    });

    it('finds the longest common prefix and stays within its byte bound, least recently used out', () => {
        const cache = new PrefixCache(2 * 10 * 4 * 4 * 2); // room for two 10-token entries
        cache.insert([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], kv(10, 0));
        cache.insert([1, 2, 3, 9, 9, 9, 9, 9, 9, 9], kv(10, 100));
        expect(cache.lookup([1, 2, 3, 4, 5, 0], 5)!.length).toBe(5);
        expect(cache.lookup([1, 2, 3, 9, 0], 4)!.length).toBe(4);
        cache.insert([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], kv(10, 200)); // evicts the least recently used (the first)
        expect(cache.size.entries).toBe(2);
        expect(cache.size.bytes).toBeLessThanOrEqual(2 * 10 * 4 * 4 * 2);
        expect(cache.lookup([1, 2, 3, 4, 5], 5)!.length).toBe(3);
        // An entry that extends another replaces it (and, being larger, pushes the older one out of the bound).
        const eleven = [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5];
        cache.insert(eleven, kv(11, 0));
        expect(cache.size.entries).toBe(1);
        expect(cache.lookup(eleven, 11)!.length).toBe(11);
        expect(new PrefixCache(0).lookup([1], 1)).toBeUndefined();
    });
});
