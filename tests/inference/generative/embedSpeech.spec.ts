import {
    EmbeddingEngine,
    InvalidInputError,
    SpeechEngine,
    WavFormatError,
    encodeWav,
    parseWav,
    speechWindows,
} from '../../../worker-runtime/src/inference';
import { hfReference, packagePath, registryOfPackages } from './helpers';

describe('embedding engine on the tiny BERT folder', () => {
    let engine: EmbeddingEngine;
    beforeAll(async () => {
        engine = await EmbeddingEngine.create(packagePath('embedder'), {
            registry: registryOfPackages(),
            batchSize: 3,
        });
    });
    afterAll(() => engine?.close());

    it('equals @huggingface/transformers feature-extraction (mean pooling, normalised) to 1e-5, across batches', async () => {
        const inputs = [
            'hello world',
            'The quick brown fox jumps over the lazy dog.',
            'a',
            'Paris is the capital of France?',
            'tokens',
        ];
        const ref = hfReference<{ embeddings: number[][] }>({ task: 'embed', dir: packagePath('embedder'), inputs });
        const result = await engine.embed(inputs);
        expect(result.embeddings).toHaveLength(inputs.length);
        result.embeddings.forEach((v, i) => {
            expect(v).toHaveLength(ref.embeddings[i].length);
            v.forEach((x, j) => expect(Math.abs(x - ref.embeddings[i][j])).toBeLessThan(1e-5));
            expect(Math.hypot(...v)).toBeCloseTo(1, 6);
        });
        // [CLS] and [SEP] count: "hello world" is 2 words + 2 special tokens.
        const single = await engine.embed(['hello world']);
        expect(single.promptTokens).toBe(4);
        expect(single.embeddings[0]).toEqual(result.embeddings[0]);
    });

    it('refuses bad input with named errors', async () => {
        await expect(engine.embed([])).rejects.toThrow(InvalidInputError);
        await expect(engine.embed([42 as unknown as string])).rejects.toThrow(InvalidInputError);
        await expect(engine.embed(['word '.repeat(200)])).rejects.toThrow(/at most 128/);
    });
});

describe('WAV input', () => {
    const tone = Float32Array.from({ length: 1600 }, (_, i) => 0.5 * Math.sin(i / 10));

    it('reads 16-bit PCM and 32-bit float mono 16 kHz', () => {
        const a = parseWav(encodeWav(tone, 'pcm16'));
        expect(a.pcm).toHaveLength(1600);
        expect(a.durationS).toBe(0.1);
        a.pcm.forEach((x, i) => expect(Math.abs(x - tone[i])).toBeLessThan(1e-4));
        expect(Array.from(parseWav(encodeWav(tone, 'float32')).pcm)).toEqual(Array.from(tone));
    });

    it('refuses what is not 16 kHz mono PCM16/float, with a named error', () => {
        expect(() => parseWav(new TextEncoder().encode('not a wav file at all'))).toThrow(WavFormatError);
        expect(() => parseWav(encodeWav(tone, 'pcm16', 8000))).toThrow(/16 kHz mono; this file is 8000 Hz/);
        const stereo = Buffer.from(encodeWav(tone));
        stereo.writeUInt16LE(2, 22);
        expect(() => parseWav(stereo)).toThrow(/2 channels/);
        const eightBit = Buffer.from(encodeWav(tone));
        eightBit.writeUInt16LE(8, 34);
        expect(() => parseWav(eightBit)).toThrow(/not supported/);
        const truncated = Buffer.from(encodeWav(tone)).subarray(0, 100);
        expect(() => parseWav(truncated)).toThrow(/data chunk declares/);
    });
});

describe('long-audio windows (transformers.js chunk_length_s 30, stride_length_s 5)', () => {
    it('cover the audio with 30 s windows 20 s apart: every inner edge lies 5 s inside the neighbouring window', () => {
        const rate = 16000;
        expect(speechWindows(30 * rate)).toEqual([[0, 30 * rate]]);
        expect(speechWindows(35 * rate)).toEqual([
            [0, 30 * rate],
            [20 * rate, 35 * rate],
        ]);
        for (const seconds of [30.5, 49, 50, 51, 90, 600, 1800]) {
            const samples = Math.round(seconds * rate);
            const windows = speechWindows(samples);
            expect(windows[0][0]).toBe(0);
            expect(windows.at(-1)![1]).toBe(samples);
            for (const [start, end] of windows) expect(end - start).toBeLessThanOrEqual(30 * rate);
            for (let i = 1; i < windows.length; i++) {
                // Consecutive windows share 10 s: the edge of one is 5 s inside the other, from both sides.
                expect(windows[i - 1][1] - windows[i][0]).toBeGreaterThanOrEqual(10 * rate);
                expect(windows[i][0] - windows[i - 1][0]).toBe(20 * rate);
            }
            expect(windows.length).toBe(seconds <= 30 ? 1 : 1 + Math.ceil((seconds - 30) / 20));
        }
    });
});

describe('speech engine on the tiny Whisper folder', () => {
    let engine: SpeechEngine;
    beforeAll(async () => {
        engine = await SpeechEngine.create(packagePath('whisper'), { registry: registryOfPackages() });
    });
    afterAll(() => engine?.close());

    it('decodes long audio in overlapping 30 s windows and merges them, returning ids without the decoder prompt', async () => {
        const pcm = Float32Array.from({ length: 16000 * 35 }, (_, i) => 0.3 * Math.sin(i * 0.05 + 1e-6 * i * i));
        const result = await engine.transcribe(pcm, { maxTokens: 6 });
        expect(result.durationS).toBe(35);
        const again = await engine.transcribe(pcm, { maxTokens: 6 });
        expect(again).toEqual(result);
        // The two windows, [0, 30 s) and [20 s, 35 s), decoded alone: at most 6 ids each, none the decoder prompt's.
        const first = (await engine.transcribe(pcm.subarray(0, 16000 * 30), { maxTokens: 6 })).tokenIds;
        const second = (await engine.transcribe(pcm.subarray(16000 * 20), { maxTokens: 6 })).tokenIds;
        expect(first.length).toBeLessThanOrEqual(6);
        expect(second.length).toBeLessThanOrEqual(6);
        // Merged on the overlap: a head of the first window's ids, then a tail of the second's (ending as it ends).
        const split = [...Array(result.tokenIds.length + 1).keys()].find(
            (k) =>
                first.slice(0, k).every((id, i) => id === result.tokenIds[i]) &&
                second.slice(second.length - (result.tokenIds.length - k)).join() === result.tokenIds.slice(k).join(),
        );
        expect(split).toBeDefined();
        expect(result.tokenIds.length).toBeLessThanOrEqual(first.length + second.length);
        expect(result.tokenIds.at(-1)).toBe(second.at(-1));
        await expect(engine.transcribe(pcm, { maxTokens: 0 })).rejects.toThrow(InvalidInputError);
    });
});
