/**
 * Loading a model: read the file once, hash the bytes, refuse them unless the registry lists the hash, then read the
 * declared inputs and outputs. The bytes that were hashed are the bytes every thread later loads, so replacing the
 * file after the check changes nothing.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ModelNotAllowedError, UnsupportedModelError } from './errors';
import { ModelKind } from './metering';
import { ModelRegistry, modelHashToBigInt } from './registry';
import { ModelSession } from './session';
import { TensorSpec } from './types';

export interface LoadedModel {
    path: string;
    bytes: Uint8Array;
    /** SHA-256 of the file, 64 lowercase hex characters. */
    hash: string;
    /** The same hash as the registry stores it. */
    hashBigInt: bigint;
    inputs: TensorSpec[];
    outputs: TensorSpec[];
    kind: ModelKind;
}

export interface LoadModelOptions {
    /** The metering kind, as the registry lists it for this hash. Default: 'generic'. */
    kind?: ModelKind;
}

export function sha256Hex(bytes: Uint8Array): string {
    return createHash('sha256').update(bytes).digest('hex');
}

/** Reads and hashes a model file without any allow-list check (the CLI's `inspect`). */
export async function readModelFile(path: string): Promise<{ bytes: Uint8Array; hash: string }> {
    let bytes: Buffer;
    try {
        bytes = await readFile(path);
    } catch (err) {
        throw new UnsupportedModelError(
            `cannot read model file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        );
    }
    return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), hash: sha256Hex(bytes) };
}

/** Reads the declared signature by opening a session once (and closing it). */
export async function readSignature(bytes: Uint8Array): Promise<{ inputs: TensorSpec[]; outputs: TensorSpec[] }> {
    const session = await ModelSession.create(bytes);
    try {
        return { inputs: session.inputs, outputs: session.outputs };
    } finally {
        await session.release();
    }
}

/** Loads a model the registry allows; throws {@link ModelNotAllowedError} for any other. */
export async function loadModel(
    path: string,
    registry: ModelRegistry,
    options: LoadModelOptions = {},
): Promise<LoadedModel> {
    const { bytes, hash } = await readModelFile(path);
    const hashBigInt = modelHashToBigInt(hash);
    if (!registry.isModelAllowed(hashBigInt)) {
        throw new ModelNotAllowedError(`model ${path} (sha256 ${hash}) is not on the registry's allow-list`);
    }
    const { inputs, outputs } = await readSignature(bytes);
    return { path, bytes, hash, hashBigInt, inputs, outputs, kind: options.kind ?? 'generic' };
}
