/**
 * Shared types of the inference module: the JSON form of a tensor that crosses the API, the queue and the CLI, and
 * the declared signature of a model.
 */

/** Element types this runtime accepts and returns. Strings and other ONNX types are refused with a clear error. */
export const ELEMENT_TYPES = ['float32', 'int64', 'int32', 'bool', 'uint8'] as const;
export type ElementType = (typeof ELEMENT_TYPES)[number];

/** A scalar in a JSON tensor's flat `data`. int64 values are decimal strings (exact) or safe-integer numbers. */
export type JsonScalar = number | string | boolean;

/**
 * A tensor as JSON: `data` is flat, row-major, with `dims` multiplied out elements.
 * Outputs use numbers for float32/int32/uint8, booleans for bool and decimal strings for int64 (JSON numbers lose
 * precision above 2^53). Inputs accept the same, plus bigint for int64 when built in code.
 */
export interface JsonTensor {
    type: ElementType;
    dims: number[];
    data: Array<JsonScalar | bigint>;
}

export type JsonTensorMap = Record<string, JsonTensor>;

/** A dimension as the model declares it: a fixed size, or a symbol (named like 'batch', or '' when unnamed). */
export type DeclaredDim = number | string;

/** One declared input or output of a model. `type` is the ONNX Runtime type name (may be one we do not support). */
export interface TensorSpec {
    name: string;
    type: string;
    dims: DeclaredDim[];
}

/** The typed-array form a tensor takes between validation and ONNX Runtime (and across the thread boundary). */
export type TypedData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

export interface RawTensor {
    type: ElementType;
    dims: number[];
    data: TypedData;
}

export type RawTensorMap = Record<string, RawTensor>;
