import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GENERATED_MODELS, generateModels } from '../../worker-runtime/scripts/generateModels';
import { sha256Hex } from '../../worker-runtime/src/inference';

describe('generateModels', () => {
    let dirA: string;
    let dirB: string;
    beforeAll(() => {
        dirA = mkdtempSync(path.join(tmpdir(), 'chrysalis-models-a-'));
        dirB = mkdtempSync(path.join(tmpdir(), 'chrysalis-models-b-'));
    });
    afterAll(() => {
        rmSync(dirA, { recursive: true, force: true });
        rmSync(dirB, { recursive: true, force: true });
    });

    it('writes the same bytes every time (the registry pins models by hash)', () => {
        generateModels(dirA);
        generateModels(dirB);
        for (const { file } of GENERATED_MODELS) {
            expect(readFileSync(path.join(dirA, file)).equals(readFileSync(path.join(dirB, file)))).toBe(true);
        }
    });

    it('leaves files whose content is already right untouched', () => {
        const first = generateModels(dirA);
        expect(first.written).toEqual([]);
        const file = path.join(dirA, 'tiny-mlp.onnx');
        const mtime = statSync(file).mtimeMs;
        expect(generateModels(dirA).written).toEqual([]);
        expect(statSync(file).mtimeMs).toBe(mtime);
    });

    it('rewrites a file that was altered', () => {
        const file = path.join(dirB, 'embedding.onnx');
        require('node:fs').writeFileSync(file, 'not a model');
        expect(generateModels(dirB).written).toEqual(['embedding.onnx']);
        expect(readFileSync(file).equals(readFileSync(path.join(dirA, 'embedding.onnx')))).toBe(true);
    });

    it('lists each model with its SHA-256 and kind in manifest.json', () => {
        const manifest = JSON.parse(readFileSync(path.join(dirA, 'manifest.json'), 'utf8'));
        expect(manifest.models.map((m: { file: string }) => m.file)).toEqual(GENERATED_MODELS.map((m) => m.file));
        for (const m of manifest.models) {
            expect(m.sha256).toBe(sha256Hex(readFileSync(path.join(dirA, m.file))));
        }
        expect(manifest.models.find((m: { name: string }) => m.name === 'tiny-mlp').kind).toBe('classifier');
    });
});
