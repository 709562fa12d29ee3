/**
 * The wire form of tensors (inference/codec.ts): the one encoding hashed, sealed and answered, which carries every
 * value bit for bit — NaN (with its payload and sign) and ±Infinity included — where JSON numbers cannot.
 */
import {
    hashTensors,
    InvalidInputError,
    rawToWire,
    toWire,
    toWireMap,
    validateInputs,
    wireToJson,
} from '../../worker-runtime/src/inference';

describe('the wire form of tensors', () => {
    it('carries NaN payloads, negative NaN and ±Infinity exactly through JSON', () => {
        const bits = new Uint32Array([0x7fc00000, 0xffc00000, 0x7fa00001, 0x7f800000, 0xff800000, 0x3f800000]);
        const wire = rawToWire({ type: 'float32', dims: [6], data: new Float32Array(bits.buffer) });
        const back = JSON.parse(JSON.stringify(wire));
        const [raw] = Object.values(validateInputs([{ name: 'x', type: 'float32', dims: [6] }], { x: back }));
        expect(Array.from(new Uint32Array(raw.data.buffer as ArrayBuffer))).toEqual(Array.from(bits));
        expect(hashTensors({ x: back })).toBe(hashTensors({ x: wire }));
        const json = wireToJson('x', back);
        expect(json.data.slice(0, 3).every((v) => Number.isNaN(v))).toBe(true);
        expect(json.data.slice(3)).toEqual([Infinity, -Infinity, 1]);
    });

    it('gives JSON numbers and their bytes the same hash (the SDK sends bytes, people may write numbers)', () => {
        const numbers = { x: { type: 'float32', dims: [2, 2], data: [0.1, -2, 1e39, 3] } };
        const bytes = toWireMap(numbers);
        expect(bytes.x.data).toBe(Buffer.from(new Float32Array([0.1, -2, 1e39, 3]).buffer).toString('base64'));
        expect(hashTensors(toWireMap(bytes))).toBe(hashTensors(bytes));
        const ints = toWire('i', { type: 'int64', dims: [2], data: ['-9223372036854775808', 7] });
        expect(Buffer.from(ints.data, 'base64').readBigInt64LE(0)).toBe(-(1n << 63n));
    });

    it('refuses Infinity from JSON (1e400), non-canonical base64, a wrong byte count and bad booleans', () => {
        const spec = [{ name: 'x', type: 'float32', dims: [2] }];
        expect(() => validateInputs(spec, JSON.parse('{"x":{"type":"float32","dims":[2],"data":[1e400,0]}}'))).toThrow(
            /finite number/,
        );
        const good = Buffer.from(new Float32Array([1, 2]).buffer).toString('base64');
        expect(() => validateInputs(spec, { x: { type: 'float32', dims: [2], data: good + '\n' } })).toThrow(
            InvalidInputError,
        );
        expect(() =>
            validateInputs(spec, { x: { type: 'float32', dims: [2], data: Buffer.alloc(12).toString('base64') } }),
        ).toThrow(/hold 2 elements but data has 3/);
        const mask = [{ name: 'm', type: 'bool', dims: [2] }];
        expect(() => validateInputs(mask, { m: { type: 'bool', dims: [2], data: 'AAI=' } })).toThrow(/boolean byte/);
    });
});
