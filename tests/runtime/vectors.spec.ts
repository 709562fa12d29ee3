/**
 * `npm test` runs on a fresh clone: nothing in it reads the third-party TDX vectors, and `npm run test:vectors`
 * stops at once, naming the folder, when they are missing.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const REPO = path.resolve(__dirname, '../..');
const run = promisify(execFile);

function specFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return specFiles(p);
        return e.name.endsWith('.ts') ? [p] : [];
    });
}

describe('test vectors', () => {
    it('are read only by tests/vectors, which npm test leaves out', () => {
        const outside = specFiles(path.join(REPO, 'tests')).filter(
            (f) => !f.startsWith(path.join(REPO, 'tests', 'vectors') + path.sep),
        );
        for (const file of outside) {
            const text = fs.readFileSync(file, 'utf8');
            expect([file, /shared\/testdata|vectors\/testdata/.test(text)]).toEqual([file, false]);
        }
        const config = require(path.join(REPO, 'jest.config.js')) as { testPathIgnorePatterns: string[] };
        expect(config.testPathIgnorePatterns).toContain('<rootDir>/tests/vectors/');
    });

    it('npm run test:vectors fails at once with the missing folder named', async () => {
        const missing = path.join(REPO, 'no-such-vectors-folder');
        const started = Date.now();
        const err = await run('node', ['node_modules/jest/bin/jest.js', '-c', 'jest.vectors.config.js'], {
            cwd: REPO,
            env: { ...process.env, CHRYSALIS_TEST_VECTORS: missing },
        }).then(
            () => undefined,
            (e: { code: number; stderr: string }) => e,
        );
        expect(err?.code).toBe(1);
        expect(err?.stderr).toContain(`no TDX test vectors in ${missing}`);
        expect(Date.now() - started).toBeLessThan(10_000);
    });
});
