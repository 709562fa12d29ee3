import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InferencePool, JsonTensorMap } from '../../worker-runtime/src/inference';
import { fileHash, featureRows, modelPath, registryOfAll } from './fixtures';

const ROOT = path.resolve(__dirname, '..', '..');

function chrysalis(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(
            process.execPath,
            [path.join(ROOT, 'bin', 'chrysalis.js'), ...args],
            { cwd: ROOT },
            (err, stdout, stderr) => {
                resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
            },
        );
    });
}

describe('chrysalis model (CLI, in a child process)', () => {
    let dir: string;
    const write = (name: string, content: string): string => {
        const file = path.join(dir, name);
        writeFileSync(file, content);
        return file;
    };
    beforeAll(() => {
        registryOfAll(); // generates the models if needed
        dir = mkdtempSync(path.join(tmpdir(), 'chrysalis-cli-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('inspect prints the hash, inputs and outputs', async () => {
        const { code, stdout } = await chrysalis(['model', 'inspect', modelPath('tiny-mlp')]);
        expect(code).toBe(0);
        expect(stdout).toContain(`sha256:  ${fileHash(modelPath('tiny-mlp'))}`);
        expect(stdout).toMatch(/inputs:\n {2}features +float32 +\[batch, 16\]/);
        expect(stdout).toMatch(/label +int64 +\[batch\]/);
    });

    it('inspect --json describes the real Silero model', async () => {
        const { code, stdout } = await chrysalis(['model', 'inspect', modelPath('silero-vad'), '--json']);
        expect(code).toBe(0);
        const info = JSON.parse(stdout);
        expect(info.sha256).toBe(fileHash(modelPath('silero-vad')));
        expect(info.inputs.map((i: { name: string; type: string }) => `${i.name}:${i.type}`)).toEqual([
            'input:float32',
            'state:float32',
            'sr:int64',
        ]);
        expect(info.outputs.map((o: { name: string }) => o.name)).toEqual(['output', 'stateN']);
    });

    it('run --json prints outputs as {type, dims, data}, the same as the pool computes', async () => {
        const inputs: JsonTensorMap = { features: { type: 'float32', dims: [2, 16], data: featureRows(2, 3) } };
        const file = write('mlp.json', JSON.stringify(inputs));
        const { code, stdout } = await chrysalis(['model', 'run', modelPath('tiny-mlp'), '--input', file, '--json']);
        expect(code).toBe(0);
        const pool = await InferencePool.create({ modelPath: modelPath('tiny-mlp'), registry: registryOfAll() });
        try {
            expect(JSON.parse(stdout)).toEqual(await pool.run(inputs));
        } finally {
            await pool.close();
        }
    });

    it('run prints a readable summary with the metered tokens', async () => {
        const file = write(
            'ids.json',
            JSON.stringify({ token_ids: { type: 'int64', dims: [1, 4], data: ['3', '1', '0', '0'] } }),
        );
        const { code, stdout } = await chrysalis([
            'model',
            'run',
            modelPath('embedding'),
            '-i',
            file,
            '--kind',
            'text-embedding',
        ]);
        expect(code).toBe(0);
        expect(stdout).toMatch(/embedding +float32 +\[1, 8\] \[/);
        expect(stdout).toContain('tokens:  3 (metering kind text-embedding)');
    });

    it('exits non-zero with a clear message on bad input', async () => {
        const garbage = await chrysalis([
            'model',
            'run',
            modelPath('tiny-mlp'),
            '--input',
            write('bad.json', '{"features": ['),
        ]);
        expect(garbage.code).toBe(1);
        expect(garbage.stderr).toMatch(/chrysalis model: input file .*bad\.json is not valid JSON/);

        const wrongShape = write(
            'shape.json',
            JSON.stringify({ features: { type: 'float32', dims: [1, 3], data: [1, 2, 3] } }),
        );
        const shape = await chrysalis(['model', 'run', modelPath('tiny-mlp'), '--input', wrongShape]);
        expect(shape.code).toBe(1);
        expect(shape.stderr).toContain('input "features": dimension 1 must be 16 (shape [batch, 16]), got 3');
        expect(shape.stdout).toBe('');

        const hash = await chrysalis([
            'model',
            'run',
            modelPath('tiny-mlp'),
            '--input',
            wrongShape,
            '--expect-hash',
            '00'.repeat(32),
        ]);
        expect(hash.code).toBe(1);
        expect(hash.stderr).toMatch(/has sha256 [0-9a-f]{64}, not the expected 0{64}/);

        const usage = await chrysalis(['model', 'run', modelPath('tiny-mlp')]);
        expect(usage.code).toBe(2);
        expect(usage.stderr).toContain('model run needs --input <inputs.json>');

        const missing = await chrysalis(['model', 'inspect', path.join(dir, 'nope.onnx')]);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toMatch(/cannot read model file .*nope\.onnx: ENOENT/);
    });
});
