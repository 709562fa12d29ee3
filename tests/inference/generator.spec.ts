import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GENERATED_MODELS, generateModels } from '../../worker-runtime/scripts/generateModels';
import { GENERATED_FOLDERS } from '../../worker-runtime/scripts/generative/folders';
import { readModelPackage } from '../../worker-runtime/src/inference/generative/modelPackage';
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

    it('writes each generative folder byte-identical on rebuild, in the HF layout, under 3 MB, hashed in manifest.json', () => {
        const manifest = JSON.parse(readFileSync(path.join(dirA, 'manifest.json'), 'utf8'));
        for (const { name, kind } of GENERATED_FOLDERS) {
            const a = readModelPackage(path.join(dirA, name));
            const b = readModelPackage(path.join(dirB, name));
            expect(b.manifest).toBe(a.manifest);
            expect(a.files.reduce((n, f) => n + f.size, 0)).toBeLessThan(3 * 1024 * 1024);
            const files = a.files.map((f) => f.path);
            expect(files).toEqual(expect.arrayContaining(['config.json', 'tokenizer.json', 'tokenizer_config.json']));
            expect(manifest.packages.find((p: { name: string }) => p.name === name)).toEqual(
                expect.objectContaining({ hash: a.hash, kind }),
            );
        }
        const files = (name: string) => readModelPackage(path.join(dirA, name)).files.map((f) => f.path);
        expect(files('chat-llama')).toEqual(expect.arrayContaining(['generation_config.json', 'onnx/model.onnx']));
        expect(files('whisper')).toEqual(
            expect.arrayContaining([
                'onnx/encoder_model.onnx',
                'onnx/decoder_model_merged.onnx',
                'preprocessor_config.json',
            ]),
        );
        const config = (name: string) => JSON.parse(readFileSync(path.join(dirA, name, 'config.json'), 'utf8'));
        expect([config('chat-llama').model_type, config('chat-qwen2').model_type]).toEqual(['llama', 'qwen2']);
        expect(config('chat-think').think_end_token_id).toEqual(expect.any(Number));
    });
});
