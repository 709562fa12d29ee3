/**
 * Conversions between the JSON tensor form ({@link JsonTensor}) and typed arrays / ONNX Runtime tensors.
 * Decoding checks every value (a float where an integer is due, an int64 outside its range, a non-boolean mask):
 * such input is refused with an {@link InvalidInputError} naming the tensor and the index.
 */
import { Tensor } from 'onnxruntime-node';
import { InvalidInputError, UnsupportedModelError } from './errors';
import { ElementType, JsonScalar, JsonTensor, RawTensor, TypedData } from './types';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function bad(name: string, index: number, expected: string, got: unknown): InvalidInputError {
    const shown = typeof got === 'string' ? JSON.stringify(got) : typeof got === 'bigint' ? `${got}n` : String(got);
    return new InvalidInputError(`input "${name}": data[${index}] must be ${expected}, got ${shown}`);
}

function toInt64(name: string, i: number, v: unknown): bigint {
    let n: bigint;
    if (typeof v === 'bigint') n = v;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
    else if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) n = BigInt(v);
    else throw bad(name, i, 'an int64 (a decimal string, or an integer number up to 2^53)', v);
    if (n < INT64_MIN || n > INT64_MAX) throw bad(name, i, 'within the int64 range', v);
    return n;
}

/** Flat JSON values → the typed array ONNX Runtime wants for `type`. `data.length` is checked by the caller. */
export function decodeData(name: string, type: ElementType, data: readonly unknown[]): TypedData {
    const n = data.length;
    switch (type) {
        case 'float32': {
            const out = new Float32Array(n);
            for (let i = 0; i < n; i++) {
                const v = data[i];
                if (typeof v !== 'number') throw bad(name, i, 'a number', v);
                out[i] = v;
            }
            return out;
        }
        case 'int64': {
            const out = new BigInt64Array(n);
            for (let i = 0; i < n; i++) out[i] = toInt64(name, i, data[i]);
            return out;
        }
        case 'int32': {
            const out = new Int32Array(n);
            for (let i = 0; i < n; i++) {
                const v = data[i];
                if (!Number.isInteger(v) || (v as number) < INT32_MIN || (v as number) > INT32_MAX) {
                    throw bad(name, i, 'an int32 integer', v);
                }
                out[i] = v as number;
            }
            return out;
        }
        case 'uint8': {
            const out = new Uint8Array(n);
            for (let i = 0; i < n; i++) {
                const v = data[i];
                if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 255) {
                    throw bad(name, i, 'an integer 0..255', v);
                }
                out[i] = v as number;
            }
            return out;
        }
        case 'bool': {
            // ONNX Runtime carries bool tensors as one byte per element.
            const out = new Uint8Array(n);
            for (let i = 0; i < n; i++) {
                const v = data[i];
                if (v === true || v === 1) out[i] = 1;
                else if (v === false || v === 0) out[i] = 0;
                else throw bad(name, i, 'a boolean (or 0/1)', v);
            }
            return out;
        }
    }
}

/** Typed array → flat JSON values (int64 as decimal strings, bool as booleans). */
export function encodeData(type: ElementType, data: TypedData): JsonScalar[] {
    switch (type) {
        case 'int64':
            return Array.from(data as BigInt64Array, (v) => v.toString());
        case 'bool':
            return Array.from(data as Uint8Array, (v) => v !== 0);
        default:
            return Array.from(data as Float32Array | Int32Array | Uint8Array);
    }
}

export function rawToJson(raw: RawTensor): JsonTensor {
    return { type: raw.type, dims: [...raw.dims], data: encodeData(raw.type, raw.data) };
}

export function rawToOrt(raw: RawTensor): Tensor {
    return new Tensor(raw.type, raw.data, raw.dims);
}

const ORT_OUTPUT_TYPES: ReadonlySet<string> = new Set<ElementType>(['float32', 'int64', 'int32', 'bool', 'uint8']);

/** An output from ONNX Runtime → the raw form. A model whose output has an unsupported type is refused here. */
export function ortToRaw(name: string, tensor: Tensor): RawTensor {
    if (!ORT_OUTPUT_TYPES.has(tensor.type)) {
        throw new UnsupportedModelError(
            `output "${name}" has element type ${tensor.type}, which this runtime does not support`,
        );
    }
    const type = tensor.type as ElementType;
    // Copy: the tensor's buffer may be owned by ONNX Runtime and is transferred across threads afterwards.
    const data = (tensor.data as TypedData).slice() as TypedData;
    return { type, dims: tensor.dims.map(Number), data };
}
