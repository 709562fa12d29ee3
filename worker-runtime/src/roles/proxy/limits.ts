/**
 * The largest body a model's request can need, from the shapes it declares: what the proxy accepts before it parses
 * anything (a body past it is refused unread, 413). Each input counts its fixed dimensions, and the input-size limit
 * where a dimension is symbolic; each element at most {@link JSON_BYTES_PER_ELEMENT} bytes (a float written out in
 * JSON: `-1.2345678901234567e-123,`), which also covers the base64 wire form (at most 11 bytes for an int64).
 */
import { DEFAULT_INPUT_LIMITS, InputLimits, TensorSpec } from '../../inference';

export const JSON_BYTES_PER_ELEMENT = 26;
/** Room for the request's fields, the tensors' names, types and dims. */
export const BODY_OVERHEAD_BYTES = 4096;

export function maxBodyBytes(inputs: readonly TensorSpec[], limits: InputLimits = DEFAULT_INPUT_LIMITS): number {
    let elements = 0;
    for (const spec of inputs) {
        const fixed = spec.dims.every((d) => typeof d === 'number' && d >= 0);
        const count = fixed ? (spec.dims as number[]).reduce((a, b) => a * b, 1) : limits.maxElementsPerTensor;
        elements += Math.min(count, limits.maxElementsPerTensor);
    }
    elements = Math.min(elements, limits.maxTotalElements);
    return BODY_OVERHEAD_BYTES + (namesBytes(inputs) + elements * JSON_BYTES_PER_ELEMENT);
}

function namesBytes(inputs: readonly TensorSpec[]): number {
    return inputs.reduce((n, s) => n + s.name.length + 64, 0);
}
