import { MODEL_KINDS } from '../../worker-runtime/src/inference/metering';
import {
    describeModelKinds,
    modelKindCode,
    modelKindFromCode,
    parseModelKind,
} from '../../worker-runtime/src/inference/kinds';

describe('model kinds: names and registry codes (worker-runtime/src/inference/kinds.ts)', () => {
    it('codes are 1 + the index in MODEL_KINDS, both ways, for every kind there is', () => {
        for (const [i, kind] of MODEL_KINDS.entries()) {
            expect(modelKindCode(kind)).toBe(BigInt(i + 1));
            expect(modelKindFromCode(i + 1)).toBe(kind);
            expect(parseModelKind(kind)).toBe(kind);
        }
        expect(modelKindCode('classifier')).toBe(1n);
        expect(modelKindCode('text-embedding')).toBe(2n);
    });

    it('refuses unknown names and codes, listing every kind with its code', () => {
        const known = MODEL_KINDS.map((k, i) => `${k} (${i + 1})`).join(', ');
        expect(describeModelKinds()).toBe(known);
        expect(() => parseModelKind('2')).toThrow(`unknown model kind '2' (known: ${known})`);
        expect(() => parseModelKind('llm')).toThrow(/unknown model kind 'llm'/);
        expect(() => modelKindFromCode(0n)).toThrow('unknown model kind code 0');
        expect(() => modelKindFromCode(MODEL_KINDS.length + 1)).toThrow(/unknown model kind code/);
        expect(() => modelKindFromCode(1.5)).toThrow(/unknown model kind code 1.5/);
    });

    it('accepts names in any case and with spaces around', () => {
        expect(parseModelKind(' Audio-VAD ')).toBe('audio-vad');
    });
});
