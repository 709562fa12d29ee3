import fc from 'fast-check';
import { InvalidInputError, JsonTensor, TensorSpec, validateInputs } from '../../worker-runtime/src/inference';
import { isPermanentError } from '../../worker-runtime/src/errors';

const MLP: TensorSpec[] = [{ name: 'features', type: 'float32', dims: ['batch', 16] }];
const PAIR: TensorSpec[] = [
    { name: 'a', type: 'int64', dims: ['batch', 'seq'] },
    { name: 'b', type: 'bool', dims: ['batch', ''] },
];

function features(rows: number, data?: unknown[]): JsonTensor {
    return { type: 'float32', dims: [rows, 16], data: (data ?? new Array(rows * 16).fill(0.25)) as number[] };
}

function refusal(specs: TensorSpec[], inputs: unknown, limits?: Parameters<typeof validateInputs>[2]): string {
    try {
        validateInputs(specs, inputs, limits);
    } catch (err) {
        expect(err).toBeInstanceOf(InvalidInputError);
        expect(isPermanentError(err)).toBe(true);
        return (err as Error).message;
    }
    throw new Error('expected the input to be refused');
}

describe('validateInputs', () => {
    it('accepts a well-formed request and returns typed arrays', () => {
        const raw = validateInputs(MLP, { features: features(3) });
        expect(raw.features.data).toBeInstanceOf(Float32Array);
        expect(raw.features.dims).toEqual([3, 16]);
        expect(raw.features.data.length).toBe(48);
    });

    it('refuses anything that is not an object of tensors', () => {
        for (const garbage of [null, 42, 'features', [features(1)], new Float32Array(4)]) {
            expect(refusal(MLP, garbage)).toMatch(/inputs must be an object/);
        }
        expect(refusal(MLP, { features: 'zeros' })).toMatch(/input "features" must be an object \{type, dims, data\}/);
        expect(refusal(MLP, { features: { type: 'float32', dims: [1, 16] } })).toMatch(/data must be a flat array/);
    });

    it('names unknown and missing inputs', () => {
        expect(refusal(MLP, { features: features(1), extra: features(1) })).toMatch(
            /unknown input "extra"; the model's inputs are: features/,
        );
        expect(refusal(MLP, {})).toMatch(/missing input "features"/);
    });

    it('refuses a wrong element type, and a type it does not know', () => {
        expect(refusal(MLP, { features: { ...features(1), type: 'int32' } })).toMatch(
            /input "features": expected element type float32, got int32/,
        );
        expect(refusal(MLP, { features: { ...features(1), type: 'string' } })).toMatch(/type must be one of/);
    });

    it('refuses wrong ranks, fixed dimensions and inconsistent symbols', () => {
        expect(refusal(MLP, { features: { type: 'float32', dims: [16], data: new Array(16).fill(0) } })).toMatch(
            /expected rank 2 \[batch, 16\], got dims \[16\]/,
        );
        expect(refusal(MLP, { features: { type: 'float32', dims: [1, 15], data: new Array(15).fill(0) } })).toMatch(
            /dimension 1 must be 16/,
        );
        expect(refusal(MLP, { features: { type: 'float32', dims: [1, -16], data: [] } })).toMatch(
            /non-negative integers/,
        );
        const a = { type: 'int64', dims: [2, 3], data: ['1', '2', '3', '4', '5', '6'] };
        const b = { type: 'bool', dims: [3, 1], data: [true, false, true] };
        expect(refusal(PAIR, { a, b })).toMatch(/\('batch'\) is 3, but input "a" set 'batch' to 2/);
        // An unnamed symbolic dimension ('') takes any size.
        expect(() =>
            validateInputs(PAIR, { a, b: { type: 'bool', dims: [2, 5], data: new Array(10).fill(0) } }),
        ).not.toThrow();
    });

    it('refuses data whose length does not match dims', () => {
        expect(refusal(MLP, { features: features(2, new Array(31).fill(0)) })).toMatch(
            /dims \[2, 16\] hold 32 elements but data has 31/,
        );
    });

    it('refuses oversized tensors before reading their data', () => {
        const limits = { maxElementsPerTensor: 1024, maxTotalElements: 4096 };
        // `data` is not even an array: the size check comes first, so a huge request costs nothing to refuse.
        expect(refusal(MLP, { features: { type: 'float32', dims: [65, 16], data: null } }, limits)).toMatch(
            /exceed the limit of 1024 elements per tensor/,
        );
        expect(refusal(MLP, { features: { type: 'float32', dims: [1e15, 1e15], data: [] } })).toMatch(
            /exceed the limit/,
        );
        const total = { maxElementsPerTensor: 8, maxTotalElements: 10 };
        const a = { type: 'int64', dims: [2, 3], data: ['1', '2', '3', '4', '5', '6'] };
        const b = { type: 'bool', dims: [2, 3], data: new Array(6).fill(true) };
        expect(refusal(PAIR, { a, b }, total)).toMatch(/exceed the limit of 10 elements in total/);
    });

    it('checks every value against its element type', () => {
        expect(refusal(MLP, { features: features(1, [...new Array(15).fill(0), 'x']) })).toMatch(
            /data\[15\] must be a finite number, got "x"/,
        );
        const ints: TensorSpec[] = [
            { name: 'i64', type: 'int64', dims: [''] },
            { name: 'i32', type: 'int32', dims: [''] },
            { name: 'u8', type: 'uint8', dims: [''] },
            { name: 'flag', type: 'bool', dims: [''] },
        ];
        const ok = {
            i64: { type: 'int64', dims: [4], data: ['-9223372036854775808', '9223372036854775807', 7, 8n] },
            i32: { type: 'int32', dims: [2], data: [-2147483648, 2147483647] },
            u8: { type: 'uint8', dims: [2], data: [0, 255] },
            flag: { type: 'bool', dims: [3], data: [true, false, 1] },
        };
        const raw = validateInputs(ints, ok);
        expect(Array.from(raw.i64.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 7n, 8n]);
        expect(Array.from(raw.flag.data as Uint8Array)).toEqual([1, 0, 1]);
        const broken = (name: keyof typeof ok, data: unknown[]) =>
            refusal(ints, { ...ok, [name]: { ...ok[name], dims: [data.length], data } });
        expect(broken('i64', ['9223372036854775808'])).toMatch(/within the int64 range/);
        expect(broken('i64', [1.5])).toMatch(/data\[0\] must be an int64/);
        expect(broken('i64', [2 ** 60])).toMatch(/must be an int64/);
        expect(broken('i32', [2147483648])).toMatch(/must be an int32 integer/);
        expect(broken('u8', [256])).toMatch(/must be an integer 0..255, got 256/);
        expect(broken('flag', ['true'])).toMatch(/must be a boolean/);
    });
});

describe('validateInputs on arbitrary garbage (property)', () => {
    const specs: TensorSpec[] = [
        { name: 'features', type: 'float32', dims: ['batch', 2] },
        { name: 'ids', type: 'int64', dims: ['batch'] },
    ];
    const tensorish = fc.record(
        {
            type: fc.oneof(fc.constantFrom('float32', 'int64', 'int32', 'bool', 'uint8', 'string'), fc.anything()),
            dims: fc.oneof(fc.array(fc.integer({ min: -2, max: 4 }), { maxLength: 3 }), fc.anything()),
            data: fc.oneof(
                fc.array(fc.oneof(fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.bigInt())),
                fc.anything(),
            ),
        },
        { requiredKeys: [] },
    );
    const inputs = fc.oneof(
        fc.anything(),
        fc.dictionary(fc.constantFrom('features', 'ids', 'other'), fc.oneof(tensorish, fc.anything())),
    );

    it('either accepts the input or throws InvalidInputError, never anything else', () => {
        fc.assert(
            fc.property(inputs, (value) => {
                try {
                    const raw = validateInputs(specs, value);
                    expect(raw.features.dims[0]).toBe(raw.ids.dims[0]);
                } catch (err) {
                    if (!(err instanceof InvalidInputError)) throw err;
                }
            }),
            { numRuns: 2000 },
        );
    });
});
