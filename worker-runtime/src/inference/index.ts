/**
 * Public API of the inference module (what the worker role, the proxy, the CLI and the devnet call).
 *
 *   const model = await loadModel(path, registry, { kind });           // SHA-256 + allow-list check, signature
 *   const pool = await InferencePool.create({ model, poolSize: 2 });   // sessions in worker threads, created once
 *   const outputs = await pool.run(inputs);                            // JSON tensors in, JSON tensors out
 *   const tokens = meter(model.kind, inputs, outputs);                 // billable tokens for this run
 *   await pool.close();
 *
 * Bad input rejects with InvalidInputError (permanent: never retry); a model off the allow-list with
 * ModelNotAllowedError; a closed pool or a dead thread with InferenceUnavailableError (transient).
 */
export {
    GENERATED_MODELS_DIR,
    GENERATED_PACKAGE_KINDS,
    KNOWN_MODEL_KINDS,
    generatedModelPath,
    generatedPackagePath,
    sileroVadModelPath,
} from './catalog';
export type { GeneratedModelName, GeneratedPackageName } from './catalog';
export * from './generative';
export {
    decodeData,
    ELEMENT_BYTES,
    encodeData,
    hashTensors,
    rawMapToWire,
    rawToJson,
    rawToWire,
    toWire,
    toWireMap,
    wireMapToJson,
    wireToJson,
} from './codec';
export type { WireTensor, WireTensorMap } from './codec';
export { InferenceUnavailableError, InvalidInputError, ModelNotAllowedError, UnsupportedModelError } from './errors';
export { describeModelKinds, modelKindCode, modelKindFromCode, parseModelKind } from './kinds';
export {
    METERING_RULES,
    MODEL_KINDS,
    TENSOR_MODEL_KINDS,
    applyMeteringRule,
    isModelKind,
    isTensorModelKind,
    maxTokens,
    meter,
} from './metering';
export type { MeteredTensor, MeteredTensorMap, MeteringRule, ModelKind, TensorModelKind } from './metering';
export { loadModel, readModelFile, readSignature, sha256Hex } from './modelFile';
export type { LoadModelOptions, LoadedModel } from './modelFile';
export { InferencePool } from './pool';
export type { InferencePoolOptions } from './pool';
export { modelHashToBigInt, modelHashToHex, staticModelRegistry } from './registry';
export type { ModelRegistry } from './registry';
export { ModelSession } from './session';
export type { SessionThreads } from './session';
export { ELEMENT_TYPES } from './types';
export type {
    DeclaredDim,
    ElementType,
    JsonScalar,
    JsonTensor,
    JsonTensorMap,
    RawTensor,
    RawTensorMap,
    TensorSpec,
} from './types';
export { DEFAULT_INPUT_LIMITS, validateInputs } from './validate';
export type { InputLimits } from './validate';
