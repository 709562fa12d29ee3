import { InferencePool, loadModel, staticModelRegistry } from '../../worker-runtime/src/inference';
import { demoInputs, VAD_SAMPLE_RATE, VAD_WINDOW, vadWindow } from '../../worker-runtime/src/devnet/demoInputs';
import { DEVNET_MODEL_NAMES, loadDevnetModels } from '../../worker-runtime/src/devnet/models';

describe('devnet demo inputs', () => {
    const pools = new Map<string, InferencePool>();

    beforeAll(async () => {
        const models = await loadDevnetModels();
        const registry = staticModelRegistry(models.map((m) => m.hash));
        for (const m of models) {
            pools.set(
                m.name,
                await InferencePool.create({ model: await loadModel(m.path, registry, { kind: m.kind }) }),
            );
        }
    }, 30_000);

    afterAll(async () => {
        for (const pool of pools.values()) await pool.close();
    });

    it.each(DEVNET_MODEL_NAMES)('%s: every request of the stream is valid for the model and runs', async (name) => {
        const pool = pools.get(name)!;
        const seen = new Set<string>();
        for (let n = 0; n < 12; n++) {
            const inputs = demoInputs(name, n);
            seen.add(JSON.stringify(inputs));
            const outputs = await pool.run(inputs);
            expect(Object.keys(outputs).sort()).toEqual(pool.model.outputs.map((o) => o.name).sort());
        }
        expect(seen.size).toBeGreaterThan(1); // requests vary, so receipts and hashes differ
    });

    it('gives Silero VAD more speech in the voiced half-seconds than in the quiet ones', async () => {
        const pool = pools.get('silero-vad')!;
        const probability = async (w: number) => (await pool.run(vadWindow(w))).output.data[0] as number;
        const perHalfSecond = (0.5 * VAD_SAMPLE_RATE) / VAD_WINDOW; // 15.6 windows
        const voiced = await probability(Math.round(perHalfSecond * 0.5)); // middle of the first (voiced) half-second
        const quiet = await probability(Math.round(perHalfSecond * 1.5)); // middle of the second (quiet) one
        expect(quiet).toBeLessThan(0.2);
        expect(voiced).toBeGreaterThan(quiet);
    });
});
