/**
 * One ONNX Runtime session in the current thread: created once from the model's bytes, then reused for every run.
 * `run()` blocks this thread for the duration of the computation, so the pool calls it only inside worker threads;
 * the CLI and the in-thread benchmark call it directly.
 *
 * Not usable on jest's own thread: the native addon builds output arrays in Node's main realm, and onnxruntime-common,
 * loaded inside jest's VM sandbox, refuses them (`instanceof Float32Array` fails). Worker threads have no such split,
 * so tests go through the pool (or the CLI in a child process).
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { ortToRaw } from './codec';
import { InvalidInputError, UnsupportedModelError } from './errors';
import { ELEMENT_TYPES, RawTensor, RawTensorMap, TensorSpec } from './types';

function rawToOrt(raw: RawTensor): Tensor {
    return new Tensor(raw.type, raw.data, raw.dims);
}

export interface SessionThreads {
    /** Threads ONNX Runtime uses inside one operator (default 1: the pool scales with more worker threads instead). */
    intraOpThreads?: number;
    /** Threads across independent operators; only used when > 1 (switches the session to parallel execution). */
    interOpThreads?: number;
}

function toSpecs(metadata: readonly InferenceSession.ValueMetadata[], what: string): TensorSpec[] {
    return metadata.map((m) => {
        if (!m.isTensor)
            throw new UnsupportedModelError(
                `${what} "${m.name}" is not a tensor (sequences and maps are not supported)`,
            );
        if (!(ELEMENT_TYPES as readonly string[]).includes(m.type)) {
            throw new UnsupportedModelError(
                `${what} "${m.name}" has element type ${m.type}; supported: ${ELEMENT_TYPES.join(', ')}`,
            );
        }
        return { name: m.name, type: m.type, dims: m.shape.map((d) => (typeof d === 'number' && d < 0 ? '' : d)) };
    });
}

export class ModelSession {
    private constructor(
        private readonly session: InferenceSession,
        readonly inputs: TensorSpec[],
        readonly outputs: TensorSpec[],
    ) {}

    static async create(bytes: Uint8Array, threads: SessionThreads = {}): Promise<ModelSession> {
        const inter = threads.interOpThreads ?? 1;
        let session: InferenceSession;
        try {
            session = await InferenceSession.create(bytes, {
                intraOpNumThreads: threads.intraOpThreads ?? 1,
                interOpNumThreads: inter,
                executionMode: inter > 1 ? 'parallel' : 'sequential',
                graphOptimizationLevel: 'all',
                // Fatal only: run errors are reported to the caller as exceptions, not printed by the runtime.
                logSeverityLevel: 4,
            });
        } catch (err) {
            throw new UnsupportedModelError(`ONNX Runtime cannot load the model: ${(err as Error).message}`);
        }
        try {
            return new ModelSession(
                session,
                toSpecs(session.inputMetadata, 'input'),
                toSpecs(session.outputMetadata, 'output'),
            );
        } catch (err) {
            await session.release();
            throw err;
        }
    }

    /**
     * Runs validated inputs. ONNX Runtime rejects some input only while computing (an embedding index past the end of
     * the table): a run error on validated input depends on the input alone, so it is reported as invalid input.
     */
    async run(inputs: RawTensorMap): Promise<RawTensorMap> {
        const feeds = Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, rawToOrt(t)]));
        let results: InferenceSession.OnnxValueMapType;
        try {
            results = await this.session.run(feeds);
        } catch (err) {
            throw new InvalidInputError(`the model rejected the input: ${(err as Error).message}`);
        }
        const out: RawTensorMap = {};
        for (const spec of this.outputs) out[spec.name] = ortToRaw(spec.name, results[spec.name] as Tensor);
        return out;
    }

    async release(): Promise<void> {
        await this.session.release();
    }
}
