/**
 * `chrysalis --help` answers at once with exit 0, and help and configuration errors do not load the TON, Redis and
 * ONNX Runtime libraries (which took `chrysalis --help` 6 s): each group's module loads only when that group runs.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { chrysalis } from '../fixtures/cli';
import { GROUPS } from '../../worker-runtime/src/cli/main';

const REPO = path.resolve(__dirname, '../..');
const HEAVY = ['onnxruntime-node', '@ton/ton', '@ton/sandbox', 'bullmq', 'ioredis', 'fastify'];

/** Runs main(argv) in a fresh process and returns its exit code and the heavy libraries it loaded. */
function loadedBy(argv: string[]): { code: number; heavy: string[] } {
    const script = `
        const { main } = require('./worker-runtime/src/cli/main.ts');
        process.stdout.write = () => true;
        process.stderr.write = () => true;
        main(${JSON.stringify(argv)}).then((code) => {
            const files = Object.keys(require.cache);
            const heavy = ${JSON.stringify(HEAVY)}.filter((m) => files.some((f) => f.includes('/node_modules/' + m + '/')));
            require('node:fs').writeSync(3, JSON.stringify({ code, heavy }));
        });`;
    const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], {
        cwd: REPO,
        encoding: 'utf8',
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
        timeout: 30_000,
    });
    const out = r.output[3] as unknown as string;
    if (!out) throw new Error(`probe failed: ${r.stderr}`);
    return JSON.parse(out);
}

describe('chrysalis', () => {
    it('--help prints every group on stdout and exits 0; an unknown group exits 2', async () => {
        for (const flag of ['--help', '-h', 'help']) {
            const r = await chrysalis(flag);
            expect(r.code).toBe(0);
            expect(r.stderr).toBe('');
            for (const [name, g] of Object.entries(GROUPS))
                expect(r.stdout).toContain(`  ${name.padEnd(8)} ${g.summary}`);
        }
        const none = await chrysalis();
        expect(none.code).toBe(0);
        expect(none.stderr).toMatch(/^usage: chrysalis/);
        const wrong = await chrysalis('wroker');
        expect(wrong.code).toBe(2);
        expect(wrong.stderr).toMatch(/unknown group wroker/);
    });

    it('loads no TON, Redis or ONNX Runtime library for --help, worker/proxy --help or keys --help', () => {
        expect(loadedBy(['--help'])).toEqual({ code: 0, heavy: [] });
        expect(loadedBy(['worker', '--help'])).toEqual({ code: 0, heavy: [] });
        expect(loadedBy(['proxy', '--help'])).toEqual({ code: 0, heavy: [] });
        expect(loadedBy(['keys', '--help'])).toEqual({ code: 0, heavy: [] });
        expect(loadedBy(['devnet', '--help'])).toEqual({ code: 0, heavy: [] });
        // A configuration error is reported before anything connects or loads.
        expect(loadedBy(['worker', 'start'])).toEqual({ code: 2, heavy: [] });
        expect(loadedBy(['proxy', 'start'])).toEqual({ code: 2, heavy: [] });
    });
});
