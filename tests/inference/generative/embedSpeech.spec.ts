import {
    EmbeddingEngine,
    InvalidInputError,
    SpeechEngine,
    WavFormatError,
    encodeWav,
    parseWav,
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

describe('speech engine on the tiny Whisper folder', () => {
    let engine: SpeechEngine;
    beforeAll(async () => {
        engine = await SpeechEngine.create(packagePath('whisper'), { registry: registryOfPackages() });
    });
    afterAll(() => engine?.close());

    it('decodes long audio in 30 s windows, returning generated ids without the decoder prompt', async () => {
        const pcm = Float32Array.from({ length: 16000 * 35 }, (_, i) => 0.3 * Math.sin(i * 0.05));
        const result = await engine.transcribe(pcm, { maxTokens: 6 });
        expect(result.durationS).toBe(35);
        // Two windows (30 s + 5 s), at most 6 ids each, none of them the decoder prompt's.
        expect(result.tokenIds.length).toBeGreaterThan(6);
        expect(result.tokenIds.length).toBeLessThanOrEqual(12);
        const again = await engine.transcribe(pcm, { maxTokens: 6 });
        expect(again).toEqual(result);
        const short = await engine.transcribe(pcm.subarray(0, 16000 * 30), { maxTokens: 6 });
        expect(result.tokenIds.slice(0, short.tokenIds.length)).toEqual(short.tokenIds);
        await expect(engine.transcribe(pcm, { maxTokens: 0 })).rejects.toThrow(InvalidInputError);
    });
});
