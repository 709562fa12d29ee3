import {
    InferencePool,
    InferenceUnavailableError,
    InvalidInputError,
    JsonTensor,
    loadModel,
    meter,
} from '../../worker-runtime/src/inference';
import { featureRows, modelPath, registryOfAll } from './fixtures';

const rows = (n: number, seed = 0): Record<string, JsonTensor> => ({
    features: { type: 'float32', dims: [n, 16], data: featureRows(n, seed) },
});

describe('InferencePool on the tiny MLP (2 threads)', () => {
    let pool: InferencePool;
    // A separate one-thread pool computes the expected answers. (ONNX Runtime cannot run on jest's own thread: its
    // native addon creates output arrays in Node's main realm, which fail instanceof checks in jest's VM sandbox; the
    // in-thread path is covered through the CLI, in a child process.)
    let reference: InferencePool;

    beforeAll(async () => {
        const model = await loadModel(modelPath('tiny-mlp'), registryOfAll(), { kind: 'classifier' });
        pool = await InferencePool.create({ model, poolSize: 2, limits: { maxElementsPerTensor: 16 * 1024 } });
        reference = await InferencePool.create({ model, poolSize: 1 });
    });
    afterAll(async () => {
        await pool.close();
        await reference.close();
    });

    function expected(inputs: Record<string, JsonTensor>): Promise<Record<string, JsonTensor>> {
        return reference.run(inputs);
    }

    it('returns logits and int64 labels as JSON, as another pool computes them', async () => {
        const inputs = rows(3);
        const out = await pool.run(inputs);
        expect(out.logits.type).toBe('float32');
        expect(out.logits.dims).toEqual([3, 4]);
        expect(out.label).toEqual({ type: 'int64', dims: [3], data: expect.any(Array) });
        for (const v of out.label.data) expect(v).toMatch(/^[0-3]$/);
        expect(out).toEqual(await expected(inputs));
        // The label is the argmax of the logits.
        for (let r = 0; r < 3; r++) {
            const logits = out.logits.data.slice(r * 4, r * 4 + 4) as number[];
            expect(Number(out.label.data[r])).toBe(logits.indexOf(Math.max(...logits)));
        }
        expect(meter('classifier', inputs, out)).toBe(4);
    });

    it('refuses bad input with InvalidInputError and keeps serving', async () => {
        const bad: unknown[] = [
            { feature: rows(1).features },
            { features: { ...rows(1).features, type: 'int64' } },
            { features: { type: 'float32', dims: [1, 8], data: new Array(8).fill(0) } },
            { features: { type: 'float32', dims: [2048, 16], data: [] } },
            { features: { type: 'float32', dims: [1, 16], data: 'garbage' } },
            'garbage',
        ];
        for (const inputs of bad) await expect(pool.run(inputs)).rejects.toBeInstanceOf(InvalidInputError);
        const inputs = rows(2, 7);
        expect(await pool.run(inputs)).toEqual(await expected(inputs));
    });

    it('survives a concurrent burst, answering every request with its own result', async () => {
        const requests = Array.from({ length: 300 }, (_, i) => rows(1 + (i % 5), i));
        const bad = pool.run({ features: { type: 'float32', dims: [1, 16], data: [] } });
        const results = await Promise.all(requests.map((r) => pool.run(r)));
        await expect(bad).rejects.toBeInstanceOf(InvalidInputError);
        // Different seeds give different logits, so a reply delivered to the wrong request would show here.
        for (let i = 0; i < requests.length; i += 37) expect(results[i]).toEqual(await expected(requests[i]));
        expect(new Set(results.map((r) => JSON.stringify(r.logits))).size).toBe(requests.length);
        expect(results.map((r) => r.logits.dims[0])).toEqual(requests.map((r) => r.features.dims[0]));
        expect(pool.queued).toBe(0);
    });

    it('replaces a thread that dies: its job fails as transient, later jobs succeed', async () => {
        // Kill a thread mid-job from the outside (what an out-of-memory kill or a native crash looks like).
        const slots = (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots;
        const inFlight = Array.from({ length: 8 }, (_, i) => pool.run(rows(1024, i)));
        const killed = slots[0].worker;
        await killed.terminate();
        const settled = await Promise.allSettled(inFlight);
        const failures = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
        for (const f of failures) expect(f.reason).toBeInstanceOf(InferenceUnavailableError);
        expect(failures.length).toBeLessThanOrEqual(1);
        const after = await Promise.all(Array.from({ length: 4 }, (_, i) => pool.run(rows(2, 100 + i))));
        expect(after[3]).toEqual(await expected(rows(2, 103)));
        expect(pool.size).toBe(2);
        // The dead thread has a live replacement with its own session.
        while (pool.readyThreads < 2) await new Promise((r) => setTimeout(r, 20));
        expect(slots[0].worker).not.toBe(killed);
    });
});

describe('InferencePool on other models and dtypes', () => {
    it('runs the embedding model (int64 ids) and refuses out-of-vocabulary ids as bad input', async () => {
        const pool = await InferencePool.create({
            modelPath: modelPath('embedding'),
            registry: registryOfAll(),
            kind: 'text-embedding',
        });
        try {
            const inputs: Record<string, JsonTensor> = {
                token_ids: { type: 'int64', dims: [2, 3], data: ['1', '2', '3', '3', '2', '1'] },
            };
            const out = await pool.run(inputs);
            expect(out.embedding.dims).toEqual([2, 8]);
            // Mean pooling ignores order: both rows hold the same ids.
            const [a, b] = [out.embedding.data.slice(0, 8), out.embedding.data.slice(8)] as number[][];
            a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
            expect(meter(pool.model.kind, inputs, out)).toBe(7);
            const oov = pool.run({ token_ids: { type: 'int64', dims: [1, 2], data: ['1', '64'] } });
            await expect(oov).rejects.toBeInstanceOf(InvalidInputError);
            await expect(oov).rejects.toThrow(/the model rejected the input: .*indices element out of data bounds/);
            expect((await pool.run(inputs)).embedding).toEqual(out.embedding);
        } finally {
            await pool.close();
        }
    });

    it('carries int32, bool and uint8 in and out', async () => {
        const pool = await InferencePool.create({ modelPath: modelPath('dtype-mix'), registry: registryOfAll() });
        try {
            const out = await pool.run({
                counts: { type: 'int32', dims: [4], data: [5, -7, 100000, 2] },
                mask: { type: 'bool', dims: [4], data: [true, true, false, true] },
                pixels: { type: 'uint8', dims: [4], data: [0, 51, 255, 7] },
            });
            expect(out.masked_sum).toEqual({ type: 'int32', dims: [], data: [0] });
            expect(out.mask_inverted).toEqual({ type: 'bool', dims: [4], data: [false, false, true, false] });
            expect(out.pixels_max).toEqual({ type: 'uint8', dims: [], data: [255] });
            expect(out.pixels_scaled.type).toBe('float32');
            (out.pixels_scaled.data as number[]).forEach((v, i) => expect(v).toBeCloseTo([0, 0.2, 1, 7 / 255][i], 6));
            await expect(
                pool.run({
                    counts: { type: 'int32', dims: [2], data: [1, 2] },
                    mask: { type: 'bool', dims: [3], data: [true, true, false] },
                    pixels: { type: 'uint8', dims: [2], data: [1, 2] },
                }),
            ).rejects.toThrow(/'n'\) is 3, but input "counts" set 'n' to 2/);
        } finally {
            await pool.close();
        }
    });

    it('refuses work after close with a transient error', async () => {
        const pool = await InferencePool.create({ modelPath: modelPath('dtype-mix'), registry: registryOfAll() });
        await pool.close();
        await expect(
            pool.run({
                counts: { type: 'int32', dims: [1], data: [1] },
                mask: { type: 'bool', dims: [1], data: [true] },
                pixels: { type: 'uint8', dims: [1], data: [1] },
            }),
        ).rejects.toBeInstanceOf(InferenceUnavailableError);
    });
});
