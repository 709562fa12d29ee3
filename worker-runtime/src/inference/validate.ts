/**
 * Checks a request's input tensors against the model's declared inputs before anything reaches ONNX Runtime:
 * names (none missing, none unknown), element types, ranks, fixed dimensions, symbolic dimensions (a named symbol
 * such as 'batch' must take the same size in every input that uses it), element counts against `dims`, and size
 * limits. Anything wrong is an {@link InvalidInputError} with a message a client can act on.
 */
import { dataLength, decodeData, ELEMENT_BYTES } from './codec';
import { InvalidInputError } from './errors';
import { ELEMENT_TYPES, ElementType, RawTensorMap, TensorSpec } from './types';

const bytesOf = (type: string) => ELEMENT_BYTES[type as ElementType];

export interface InputLimits {
    /** Largest element count of any one input tensor. */
    maxElementsPerTensor: number;
    /** Largest element count of all inputs together. */
    maxTotalElements: number;
}

export const DEFAULT_INPUT_LIMITS: InputLimits = { maxElementsPerTensor: 1 << 20, maxTotalElements: 1 << 22 };

const MAX_RANK = 8;

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function describeShape(dims: readonly (number | string)[]): string {
    return `[${dims.map((d) => (d === '' ? '?' : String(d))).join(', ')}]`;
}

/** Validates `inputs` (anything, e.g. parsed JSON) and returns them as typed arrays ready for ONNX Runtime. */
export function validateInputs(
    specs: readonly TensorSpec[],
    inputs: unknown,
    limits: InputLimits = DEFAULT_INPUT_LIMITS,
): RawTensorMap {
    if (!isPlainObject(inputs)) {
        throw new InvalidInputError('inputs must be an object mapping input names to {type, dims, data}');
    }
    const declared = new Map(specs.map((s) => [s.name, s]));
    const expectedNames = specs.map((s) => s.name).join(', ');
    for (const name of Object.keys(inputs)) {
        if (!declared.has(name)) {
            throw new InvalidInputError(`unknown input "${name}"; the model's inputs are: ${expectedNames}`);
        }
    }
    const symbols = new Map<string, { size: number; input: string }>();
    const out: RawTensorMap = {};
    let total = 0;
    for (const spec of specs) {
        const value = inputs[spec.name];
        if (value === undefined) {
            throw new InvalidInputError(`missing input "${spec.name}"; the model's inputs are: ${expectedNames}`);
        }
        const where = `input "${spec.name}"`;
        if (!isPlainObject(value)) throw new InvalidInputError(`${where} must be an object {type, dims, data}`);
        const { type, dims, data } = value;
        if (typeof type !== 'string' || !(ELEMENT_TYPES as readonly string[]).includes(type)) {
            throw new InvalidInputError(
                `${where}: type must be one of ${ELEMENT_TYPES.join(', ')}, got ${JSON.stringify(type)}`,
            );
        }
        if (type !== spec.type)
            throw new InvalidInputError(`${where}: expected element type ${spec.type}, got ${type}`);
        if (!Array.isArray(dims) || dims.length > MAX_RANK || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
            throw new InvalidInputError(`${where}: dims must be an array of at most ${MAX_RANK} non-negative integers`);
        }
        if (dims.length !== spec.dims.length) {
            throw new InvalidInputError(
                `${where}: expected rank ${spec.dims.length} ${describeShape(spec.dims)}, got dims ${describeShape(dims)}`,
            );
        }
        let count = 1;
        dims.forEach((size: number, axis: number) => {
            const want = spec.dims[axis];
            if (typeof want === 'number' && want >= 0 && size !== want) {
                throw new InvalidInputError(
                    `${where}: dimension ${axis} must be ${want} (shape ${describeShape(spec.dims)}), got ${size}`,
                );
            }
            if (typeof want === 'string' && want !== '') {
                const seen = symbols.get(want);
                if (seen && seen.size !== size) {
                    throw new InvalidInputError(
                        `${where}: dimension ${axis} ('${want}') is ${size}, but input "${seen.input}" set '${want}' to ${seen.size}`,
                    );
                }
                if (!seen) symbols.set(want, { size, input: spec.name });
            }
            // Multiplying in this order keeps `count` exact: it is checked before it can pass 2^53.
            count *= size;
            if (count > limits.maxElementsPerTensor) {
                throw new InvalidInputError(
                    `${where}: dims ${describeShape(dims)} exceed the limit of ${limits.maxElementsPerTensor} elements per tensor`,
                );
            }
        });
        total += count;
        if (total > limits.maxTotalElements) {
            throw new InvalidInputError(`inputs exceed the limit of ${limits.maxTotalElements} elements in total`);
        }
        if (!Array.isArray(data) && typeof data !== 'string') {
            throw new InvalidInputError(`${where}: data must be a flat array, or base64 of the elements' bytes`);
        }
        const length = dataLength(type as ElementType, data);
        if (
            length !== count ||
            (typeof data === 'string' && data.length !== 4 * Math.ceil((count * bytesOf(type)) / 3))
        ) {
            throw new InvalidInputError(
                `${where}: dims ${describeShape(dims)} hold ${count} elements but data has ${length}`,
            );
        }
        out[spec.name] = {
            type: type as ElementType,
            dims: [...dims],
            data: decodeData(spec.name, type as ElementType, data),
        };
    }
    return out;
}
