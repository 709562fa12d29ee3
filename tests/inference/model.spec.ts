import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
    InferencePool,
    ModelNotAllowedError,
    UnsupportedModelError,
    loadModel,
    modelHashToBigInt,
    modelHashToHex,
    staticModelRegistry,
} from '../../worker-runtime/src/inference';
import { isPermanentError } from '../../worker-runtime/src/errors';
import { ensureModels, fileHash, modelPath, registryOfAll } from './fixtures';

describe('loading a model', () => {
    beforeAll(ensureModels);

    it('hashes the file and reads its declared signature', async () => {
        const model = await loadModel(modelPath('tiny-mlp'), registryOfAll(), { kind: 'classifier' });
        expect(model.hash).toBe(fileHash(modelPath('tiny-mlp')));
        expect(model.hashBigInt).toBe(modelHashToBigInt(model.hash));
        expect(modelHashToHex(model.hashBigInt)).toBe(model.hash);
        expect(model.kind).toBe('classifier');
        expect(model.inputs).toEqual([{ name: 'features', type: 'float32', dims: ['batch', 16] }]);
        expect(model.outputs).toEqual([
            { name: 'logits', type: 'float32', dims: ['batch', 4] },
            { name: 'label', type: 'int64', dims: ['batch'] },
        ]);
    });

    it('refuses a model whose hash the registry does not list', async () => {
        const onlyEmbedding = staticModelRegistry([fileHash(modelPath('embedding'))]);
        const err = await loadModel(modelPath('tiny-mlp'), onlyEmbedding).catch((e) => e);
        expect(err).toBeInstanceOf(ModelNotAllowedError);
        expect(isPermanentError(err)).toBe(true);
        expect(err.message).toContain(fileHash(modelPath('tiny-mlp')));
        await expect(
            InferencePool.create({ modelPath: modelPath('tiny-mlp'), registry: onlyEmbedding }),
        ).rejects.toBeInstanceOf(ModelNotAllowedError);
    });

    it('asks the registry with the bigint the contracts store', async () => {
        const asked: bigint[] = [];
        await loadModel(modelPath('dtype-mix'), {
            isModelAllowed: (h) => {
                asked.push(h);
                return true;
            },
        });
        expect(asked).toEqual([BigInt('0x' + fileHash(modelPath('dtype-mix')))]);
    });

    it('refuses files that are missing or not ONNX, with a clear error', async () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'chrysalis-badmodel-'));
        try {
            const junk = path.join(dir, 'junk.onnx');
            writeFileSync(junk, 'definitely not protobuf');
            const allowAll = { isModelAllowed: () => true };
            await expect(loadModel(junk, allowAll)).rejects.toThrow(UnsupportedModelError);
            await expect(loadModel(junk, allowAll)).rejects.toThrow(/ONNX Runtime cannot load the model/);
            await expect(loadModel(path.join(dir, 'missing.onnx'), allowAll)).rejects.toThrow(
                /cannot read model file .*ENOENT/,
            );
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
