/**
 * Creating an ONNX Runtime session from a model package's graph. The session is built from the bytes that were
 * hashed (so a file swapped after the registry check changes nothing) — except when the graph keeps its weights in
 * external `.onnx_data` files, which ONNX Runtime in Node resolves only from a file path: then the session loads from
 * the folder and the package is hashed again afterwards, and refused if anything changed in between.
 */
import { InferenceSession } from 'onnxruntime-node';
import path from 'node:path';
import { ModelNotAllowedError, UnsupportedModelError } from '../errors';
import { ModelPackage, readModelPackage } from './modelPackage';
import { releaseBuffers } from './releaseMemory';

export interface SessionOptions {
    /** Threads ONNX Runtime uses inside one operator (default 1). */
    intraOpThreads?: number;
    /** Execution providers in order of preference (default ['cpu']; e.g. ['cuda', 'cpu'] where the binaries exist). */
    executionProviders?: string[];
    /** The graph to load, relative to the folder (default `onnx/model.onnx`; e.g. `onnx/model_q4.onnx`). */
    modelFile?: string;
    /**
     * Let ONNX Runtime pre-pack MatMul weights: faster matrix products, but a second copy of a good part of the
     * weights stays resident (≈ 34 MB more on a 92 MB fp32 graph, decode ≈ 30 % faster; docs/inference.md). Default
     * false, so a served model costs about its file size.
     */
    prepack?: boolean;
}

export async function createSession(
    pkg: ModelPackage,
    rel: string,
    options: SessionOptions = {},
): Promise<InferenceSession> {
    const bytes = pkg.contents.get(rel);
    if (!bytes) {
        throw new UnsupportedModelError(
            `model package ${pkg.root} has no ${rel} (or its bytes already moved to an engine created from this ` +
                'package object: read the package again for another engine)',
        );
    }
    const external = pkg.files.some(
        (f) => f.path.startsWith(path.posix.dirname(rel) + '/') && /\.onnx_data(_\d+)?$|\.onnx\.data$/.test(f.path),
    );
    const sessionOptions: InferenceSession.SessionOptions = {
        intraOpNumThreads: options.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        executionProviders: options.executionProviders ?? ['cpu'],
        logSeverityLevel: 4,
        ...(options.prepack ? {} : { extra: { session: { disable_prepacking: '1' } } }),
    };
    let session: InferenceSession;
    try {
        session = external
            ? await InferenceSession.create(path.join(pkg.root, rel), sessionOptions)
            : await InferenceSession.create(bytes, sessionOptions);
    } catch (err) {
        throw new UnsupportedModelError(`ONNX Runtime cannot load ${rel} of ${pkg.root}: ${(err as Error).message}`);
    }
    if (external && readModelPackage(pkg.root).hash !== pkg.hash) {
        await session.release();
        throw new ModelNotAllowedError(`model package ${pkg.root} changed while it was being loaded`);
    }
    // ONNX Runtime has its own copy of the weights now: dropping ours keeps a served model at about its size once.
    pkg.contents.delete(rel);
    // Freed now (see releaseMemory.ts), unless the view shares its buffer with other bytes.
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength)
        releaseBuffers([bytes.buffer as ArrayBuffer]);
    return session;
}
