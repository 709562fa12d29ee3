/**
 * The compiled CLI (dist/, what `npm ci --omit=dev` runs: no tsx there) works on its own: `npm run build` compiles it
 * (skipped when up to date), and it inspects a model, makes a key and prints its help without loading tsx. CI also
 * installs with --omit=dev in a temporary folder and runs it (.ci/run). In `npm run test:long`: a stale dist/ takes
 * a TypeScript compile.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const MODEL = path.join(REPO, 'worker-runtime/models/generated/tiny-mlp.onnx');

/** Runs the compiled main(argv) in a fresh node (no tsx hook) and reports whether anything loaded tsx. */
function compiled(...argv: string[]) {
    const script = `
        const { main } = require('./dist/worker-runtime/src/cli/main.js');
        main(${JSON.stringify(argv)}).then((code) => {
            const tsx = Object.keys(require.cache).some((f) => f.includes('/node_modules/tsx/'));
            process.stderr.write('\\n' + JSON.stringify({ code, tsx }) + '\\n', () => process.exit(0));
        });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    return { ...(JSON.parse(last) as { code: number; tsx: boolean }), stdout: r.stdout, stderr: r.stderr };
}

describe('the compiled CLI (dist/)', () => {
    beforeAll(() => {
        const build = spawnSync(process.execPath, ['tools/build.js'], {
            cwd: REPO,
            encoding: 'utf8',
            timeout: 400_000,
        });
        if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stderr}`);
    }, 420_000);

    it('runs --help, model inspect and keys new without tsx', () => {
        const help = compiled('--help');
        expect(help).toMatchObject({ code: 0, tsx: false });
        expect(help.stdout).toMatch(/^usage: chrysalis/);
        const inspect = compiled('model', 'inspect', MODEL);
        expect(inspect).toMatchObject({ code: 0, tsx: false });
        expect(inspect.stdout).toMatch(/sha256: {2}[0-9a-f]{64}/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chrysalis-dist-'));
        try {
            const key = compiled('keys', 'new', '--out', path.join(dir, 'k.seed'));
            expect(key).toMatchObject({ code: 0, tsx: false });
            expect(key.stdout).toMatch(/^[0-9a-f]{64}\n$/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        const worker = compiled('worker', '--help');
        expect(worker).toMatchObject({ code: 0, tsx: false });
    });
});
