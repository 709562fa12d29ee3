/**
 * Conversions between the tensor forms: JSON ({@link JsonTensor}, numbers a person can write), the wire form
 * ({@link WireTensor}: the element bytes, little-endian, in base64) and typed arrays / ONNX Runtime tensors.
 *
 * The wire form is the one encoding every party hashes, seals and sends (request inputs, job payloads, worker results,
 * the proxy's answer, receipts): it carries every value bit for bit, NaN and ±Infinity included, where JSON numbers
 * cannot (JSON.stringify writes NaN as null). JSON input is accepted from people and converted once, at the proxy.
 * Decoding checks every value (a float where an integer is due, an int64 outside its range, a non-boolean mask, a
 * number JSON rounded to Infinity such as 1e400): such input is refused with an {@link InvalidInputError} naming the
 * tensor and the index.
 */
import { endianness } from 'node:os';
// Types only: this module is loaded by the proxy and the CLI's help paths, which must not load ONNX Runtime.
import type { Tensor } from 'onnxruntime-node';
import { hashJson } from '../protocol/canonical';
import { InvalidInputError, UnsupportedModelError } from './errors';
import { ELEMENT_TYPES, ElementType, JsonScalar, JsonTensor, RawTensor, RawTensorMap, TypedData } from './types';

// Typed arrays use the platform's byte order; the wire form is little-endian, which is what every platform Node and
// ONNX Runtime ship for. Refuse to run rather than hash and seal other bytes than the other parties.
if (endianness() !== 'LE') throw new Error('Chrysalis tensors are little-endian; this platform is big-endian');

/** A tensor on the wire: its element type, its dims and `data`, the base64 of its elements' little-endian bytes. */
export interface WireTensor {
    type: ElementType;
    dims: number[];
    data: string;
}

export type WireTensorMap = Record<string, WireTensor>;

/** Bytes per element of each element type (bool travels as one byte per element, as in ONNX Runtime). */
export const ELEMENT_BYTES: Readonly<Record<ElementType, number>> = {
    float32: 4,
    int64: 8,
    int32: 4,
    uint8: 1,
    bool: 1,
};

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function bad(name: string, index: number, expected: string, got: unknown): InvalidInputError {
    // Never String() an object: a hostile array nested thousands deep would recurse off the stack.
    const shown =
        typeof got === 'string'
            ? JSON.stringify(got.slice(0, 40))
            : typeof got === 'bigint'
              ? `${got}n`
              : typeof got === 'object' && got !== null
                ? Array.isArray(got)
                    ? 'an array'
                    : 'an object'
                : String(got);
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

/** The number of elements `data` holds: array entries, or wire bytes / element size (rounded down). */
export function dataLength(type: ElementType, data: readonly unknown[] | string): number {
    return typeof data === 'string' ? Math.floor(base64Bytes(data) / ELEMENT_BYTES[type]) : data.length;
}

/** Decoded length of a base64 string (without decoding it). */
function base64Bytes(s: string): number {
    const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
    return Math.floor((s.length * 3) / 4) - pad;
}

/**
 * Flat values → the typed array ONNX Runtime wants for `type`. `data` is a JSON array, or a wire-form base64 string
 * (canonical base64 of exactly `count` elements). The element count is checked by the caller for arrays.
 */
export function decodeData(name: string, type: ElementType, data: readonly unknown[] | string): TypedData {
    if (typeof data === 'string') return decodeWireData(name, type, data);
    const n = data.length;
    switch (type) {
        case 'float32': {
            const out = new Float32Array(n);
            for (let i = 0; i < n; i++) {
                const v = data[i];
                // JSON.parse turns a number beyond the double range (1e400) into Infinity: not what the client wrote.
                if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(name, i, 'a finite number', v);
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

function decodeWireData(name: string, type: ElementType, data: string): TypedData {
    const bytes = Buffer.from(data, 'base64');
    // One spelling per tensor: every party hashes the same string, and nothing rides along in lenient base64.
    if (bytes.toString('base64') !== data) {
        throw new InvalidInputError(`input "${name}": data must be canonical base64 of the elements' bytes`);
    }
    const size = ELEMENT_BYTES[type];
    if (bytes.length % size !== 0) {
        throw new InvalidInputError(`input "${name}": ${bytes.length} bytes is not a whole number of ${type} elements`);
    }
    // Copy into a fresh, aligned buffer (a Buffer may sit at any offset of a shared pool).
    const copy = new ArrayBuffer(bytes.length);
    new Uint8Array(copy).set(bytes);
    const n = bytes.length / size;
    switch (type) {
        case 'float32':
            return new Float32Array(copy);
        case 'int64':
            return new BigInt64Array(copy);
        case 'int32':
            return new Int32Array(copy);
        case 'uint8':
            return new Uint8Array(copy);
        case 'bool': {
            const out = new Uint8Array(copy);
            for (let i = 0; i < n; i++) if (out[i] > 1) throw bad(name, i, 'a boolean byte (0 or 1)', out[i]);
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

/** The wire form of a typed tensor: its bytes as they are, so every float (NaN, ±Infinity) survives. */
export function rawToWire(raw: RawTensor): WireTensor {
    const d = raw.data;
    return {
        type: raw.type,
        dims: [...raw.dims],
        data: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64'),
    };
}

export function rawMapToWire(map: RawTensorMap): WireTensorMap {
    return Object.fromEntries(Object.entries(map).map(([name, t]) => [name, rawToWire(t)]));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Any tensor (JSON or wire form, e.g. a client's inputs or a proxy's answer) → its wire form, keeping a wire `data`
 * string as it is. The element count must match `dims`. Bad tensors are an {@link InvalidInputError}.
 */
export function toWire(name: string, tensor: unknown): WireTensor {
    if (!isPlainObject(tensor)) throw new InvalidInputError(`tensor "${name}" must be an object {type, dims, data}`);
    const { type, dims, data } = tensor;
    if (typeof type !== 'string' || !(ELEMENT_TYPES as readonly string[]).includes(type)) {
        throw new InvalidInputError(`tensor "${name}": type must be one of ${ELEMENT_TYPES.join(', ')}`);
    }
    if (!Array.isArray(dims) || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw new InvalidInputError(`tensor "${name}": dims must be an array of non-negative integers`);
    }
    if (typeof data !== 'string' && !Array.isArray(data)) {
        throw new InvalidInputError(`tensor "${name}": data must be a flat array or base64 bytes`);
    }
    const t = type as ElementType;
    const count = (dims as number[]).reduce((a, b) => a * b, 1);
    const typed = decodeData(name, t, data as unknown[] | string);
    if (typed.length !== count) {
        throw new InvalidInputError(
            `tensor "${name}": dims [${dims.join(', ')}] hold ${count} elements, data has ${typed.length}`,
        );
    }
    return typeof data === 'string' ? { type: t, dims: [...dims], data } : rawToWire({ type: t, dims, data: typed });
}

/** A map of tensors in any form → the wire form (see {@link toWire}). */
export function toWireMap(map: unknown): WireTensorMap {
    if (!isPlainObject(map))
        throw new InvalidInputError('tensors must be an object mapping names to {type, dims, data}');
    return Object.fromEntries(Object.entries(map).map(([name, t]) => [name, toWire(name, t)]));
}

/** Wire form → the JSON form (float32 NaN and ±Infinity become the JS numbers NaN and ±Infinity). */
export function wireToJson(name: string, wire: WireTensor): JsonTensor {
    const raw = { type: wire.type, dims: [...wire.dims], data: decodeData(name, wire.type, wire.data) };
    return rawToJson(raw);
}

export function wireMapToJson(map: WireTensorMap): Record<string, JsonTensor> {
    return Object.fromEntries(Object.entries(map).map(([name, t]) => [name, wireToJson(name, t)]));
}

/**
 * The hash a receipt carries for a set of tensors: SHA-256 of the canonical JSON of their wire form (names sorted,
 * `{data, dims, type}`). Only strings and small integers are serialised, so it is exact and cheap to recompute.
 */
export function hashTensors(map: WireTensorMap): bigint {
    return hashJson(map);
}
