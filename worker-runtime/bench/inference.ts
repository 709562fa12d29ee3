/**
 * Raw ONNX Runtime figures on the tiny MLP (batch 1): runs/s and p50/p99 latency, measured
 *   - in-thread: one session on this thread, sequential `run()` calls (what a blocking caller would see);
 *   - through the pool, sequential: one request at a time (the thread round trip added to each run);
 *   - through the pool, concurrent: many requests in flight (the throughput a worker gets).
 *
 *   npx tsx worker-runtime/bench/inference.ts [--runs 5000] [--pool 2] [--concurrency 64]
 *
 * `measureRawInference()` is exported so that the runtime benchmark can print these next to its queue figures.
 */
import { parseArgs } from 'node:util';
import { generateModels } from '../scripts/generateModels';
import {
    InferencePool,
    JsonTensorMap,
    ModelSession,
    generatedModelPath,
    loadModel,
    sha256Hex,
    staticModelRegistry,
    validateInputs,
} from '../src/inference';
import { readFileSync } from 'node:fs';

export interface LatencyFigures {
    label: string;
    runs: number;
    runsPerSecond: number;
    p50Micros: number;
    p99Micros: number;
}

export interface RawInferenceOptions {
    runs?: number;
    poolSize?: number;
    concurrency?: number;
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function figures(label: string, latenciesNs: number[], wallNs: number): LatencyFigures {
    const sorted = [...latenciesNs].sort((a, b) => a - b);
    return {
        label,
        runs: latenciesNs.length,
        runsPerSecond: Math.round(latenciesNs.length / (wallNs / 1e9)),
        p50Micros: Math.round(percentile(sorted, 50) / 100) / 10,
        p99Micros: Math.round(percentile(sorted, 99) / 100) / 10,
    };
}

const now = (): number => Number(process.hrtime.bigint());

function requestFor(i: number): JsonTensorMap {
    return {
        features: { type: 'float32', dims: [1, 16], data: Array.from({ length: 16 }, (_, j) => Math.sin(i + j)) },
    };
}

export async function measureRawInference(options: RawInferenceOptions = {}): Promise<LatencyFigures[]> {
    const runs = options.runs ?? 5000;
    const poolSize = options.poolSize ?? 2;
    const concurrency = options.concurrency ?? 64;
    generateModels();
    const path = generatedModelPath('tiny-mlp');
    const model = await loadModel(path, staticModelRegistry([sha256Hex(readFileSync(path))]), { kind: 'classifier' });
    const requests = Array.from({ length: 256 }, (_, i) => requestFor(i));
    const results: LatencyFigures[] = [];

    // In-thread: validation + run, as the CLI does it.
    const session = await ModelSession.create(model.bytes);
    for (let i = 0; i < 200; i++) await session.run(validateInputs(session.inputs, requests[i % 256]));
    let lat: number[] = [];
    let start = now();
    for (let i = 0; i < runs; i++) {
        const t = now();
        await session.run(validateInputs(session.inputs, requests[i % 256]));
        lat.push(now() - t);
    }
    results.push(figures('in-thread session.run (1 intra-op thread)', lat, now() - start));
    await session.release();

    const pool = await InferencePool.create({ model, poolSize });
    try {
        for (let i = 0; i < 200; i++) await pool.run(requests[i % 256]);
        lat = [];
        start = now();
        for (let i = 0; i < runs; i++) {
            const t = now();
            await pool.run(requests[i % 256]);
            lat.push(now() - t);
        }
        results.push(figures(`pool of ${poolSize}, one request at a time`, lat, now() - start));

        lat = [];
        let next = 0;
        start = now();
        const lane = async (): Promise<void> => {
            while (next < runs) {
                const i = next++;
                const t = now();
                await pool.run(requests[i % 256]);
                lat.push(now() - t);
            }
        };
        await Promise.all(Array.from({ length: concurrency }, lane));
        results.push(figures(`pool of ${poolSize}, ${concurrency} in flight`, lat, now() - start));
    } finally {
        await pool.close();
    }
    return results;
}

export function formatFigures(rows: LatencyFigures[]): string {
    const lines = rows.map(
        (r) =>
            `  ${r.label.padEnd(44)} ${String(r.runsPerSecond).padStart(8)} runs/s   p50 ${String(r.p50Micros).padStart(8)} µs   p99 ${String(r.p99Micros).padStart(8)} µs`,
    );
    return lines.join('\n');
}

if (require.main === module) {
    const { values } = parseArgs({
        options: { runs: { type: 'string' }, pool: { type: 'string' }, concurrency: { type: 'string' } },
    });
    measureRawInference({
        runs: values.runs ? Number(values.runs) : undefined,
        poolSize: values.pool ? Number(values.pool) : undefined,
        concurrency: values.concurrency ? Number(values.concurrency) : undefined,
    })
        .then((rows) => {
            process.stdout.write(
                `raw ONNX Runtime, tiny-mlp (float32 [1,16] -> logits + label), ${rows[0].runs} runs each\n`,
            );
            process.stdout.write(formatFigures(rows) + '\n');
        })
        .catch((err) => {
            process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
            process.exit(1);
        });
}
