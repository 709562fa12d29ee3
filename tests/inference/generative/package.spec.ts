import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
    ModelNotAllowedError,
    UnsupportedModelError,
    loadAllowedPackage,
    readModelPackage,
    staticModelRegistry,
} from '../../../worker-runtime/src/inference';
import { packagePath } from './helpers';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('model package hash', () => {
    let dir: string;
    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), 'chrysalis-pkg-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('is the SHA-256 of the canonical manifest (the worked example of docs/inference.md)', () => {
        mkdirSync(path.join(dir, 'onnx'));
        writeFileSync(path.join(dir, 'config.json'), '{"model_type":"llama"}\n');
        writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'graph');
        writeFileSync(path.join(dir, 'onnx', 'model.onnx_data'), 'weights');
        const manifest =
            'chrysalis-model-package-v1\n' +
            `${sha('{"model_type":"llama"}\n')} 23 config.json\n` +
            `${sha('graph')} 5 onnx/model.onnx\n` +
            `${sha('weights')} 7 onnx/model.onnx_data\n`;
        const pkg = readModelPackage(dir);
        expect(pkg.manifest).toBe(manifest);
        expect(pkg.hash).toBe(sha(manifest));
        // The figure docs/inference.md prints for this example.
        expect(pkg.hash).toBe('d31c002d4a200e37e7f4b454b52e0bddfbcff801e9235eaf3bfb3f69ebab9055');
    });

    it('changes when any file is changed, added or removed (external weights included)', () => {
        cpSync(packagePath('chat-llama'), dir, { recursive: true });
        const base = readModelPackage(dir).hash;
        writeFileSync(path.join(dir, 'onnx', 'model.onnx_data'), 'x');
        const added = readModelPackage(dir).hash;
        expect(added).not.toBe(base);
        writeFileSync(path.join(dir, 'onnx', 'model.onnx_data'), 'y');
        expect(readModelPackage(dir).hash).not.toBe(added);
        rmSync(path.join(dir, 'onnx', 'model.onnx_data'));
        expect(readModelPackage(dir).hash).toBe(base);
        rmSync(path.join(dir, 'special_tokens_map.json'));
        expect(readModelPackage(dir).hash).not.toBe(base);
    });

    it('refuses links and empty folders; a worker refuses a hash off the registry', () => {
        expect(() => readModelPackage(dir)).toThrow(UnsupportedModelError);
        writeFileSync(path.join(dir, 'a.json'), '{}');
        symlinkSync(path.join(dir, 'a.json'), path.join(dir, 'b.json'));
        expect(() => readModelPackage(dir)).toThrow(/symbolic link/);
        rmSync(path.join(dir, 'b.json'));
        const { hash } = readModelPackage(dir);
        expect(loadAllowedPackage(dir, staticModelRegistry([hash])).hash).toBe(hash);
        expect(() => loadAllowedPackage(dir, staticModelRegistry([]))).toThrow(ModelNotAllowedError);
    });

    it('of a single .onnx file is the SHA-256 of its bytes, as before', () => {
        writeFileSync(path.join(dir, 'm.onnx'), 'bytes');
        expect(readModelPackage(path.join(dir, 'm.onnx')).hash).toBe(sha('bytes'));
    });
});
