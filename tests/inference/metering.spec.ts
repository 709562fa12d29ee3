import { JsonTensor, METERING_RULES, applyMeteringRule, meter } from '../../worker-runtime/src/inference';

const f32 = (dims: number[]): JsonTensor => ({
    type: 'float32',
    dims,
    data: new Array(dims.reduce((a, b) => a * b, 1)).fill(0),
});

describe('metering', () => {
    it('bills a classifier per request and per batch row', () => {
        expect(meter('classifier', { features: f32([1, 16]) }, { logits: f32([1, 4]) })).toBe(2);
        expect(meter('classifier', { features: f32([8, 16]) }, { logits: f32([8, 4]) })).toBe(9);
    });

    it('bills a text model by the non-padding token ids it read', () => {
        const ids: JsonTensor = { type: 'int64', dims: [2, 4], data: ['5', '9', '0', '0', 3, 0, '0', 7n] };
        expect(meter('text-embedding', { token_ids: ids }, { embedding: f32([2, 8]) })).toBe(1 + 4);
    });

    it('bills voice activity per audio window, not for the recurrent state', () => {
        const inputs = {
            input: f32([1, 576]),
            state: f32([2, 1, 128]),
            sr: { type: 'int64' as const, dims: [], data: ['16000'] },
        };
        expect(meter('audio-vad', inputs, { output: f32([1, 1]) })).toBe(2);
        expect(meter('audio-vad', { ...inputs, input: f32([1, 576 * 3]) }, {})).toBe(4);
    });

    it('bills a generic model by data volume in and out, rounded up', () => {
        expect(meter('generic', { x: f32([1000]) }, { y: f32([1]) })).toBe(1 + 1 + 1);
        expect(meter('generic', { x: f32([1025]) }, { y: f32([2048]) })).toBe(1 + 2 + 2);
        expect(meter('generic', { x: f32([0]) }, {})).toBe(1);
    });

    it('applies custom rules', () => {
        expect(applyMeteringRule({ perRequest: 0, outputElementsPerToken: 2 }, {}, { y: f32([5]) })).toBe(3);
        expect(Object.keys(METERING_RULES).sort()).toEqual(['audio-vad', 'classifier', 'generic', 'text-embedding']);
    });
});
