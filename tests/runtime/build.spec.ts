/**
 * `npm run build` (tools/build.js) is quiet and does not recompile what has not changed: the contracts are keyed by
 * a hash of contracts/ and tact.config.json (and the compiler version), so the devnet and `npm test` skip the compile
 * on an unchanged checkout, and nothing of a build reaches stdout.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');

const build = (...args: string[]) =>
    spawnSync(process.execPath, ['tools/build.js', ...args], { cwd: REPO, encoding: 'utf8', timeout: 170_000 });

describe('tools/build.js', () => {
    it('skips the contracts when build/ matches their sources, and writes nothing to stdout', () => {
        build('contracts'); // compiles once if this checkout was built some other way (npx blueprint build)
        const stamp = fs.readFileSync(path.join(REPO, 'build', '.sources.sha256'), 'utf8').trim();
        expect(stamp).toMatch(/^[0-9a-f]{64}$/);
        const again = build('contracts');
        expect(again.status).toBe(0);
        expect(again.stdout).toBe('');
        expect(again.stderr).toBe('build: contracts up to date (build/)\n');
    }, 180_000);

    it('refuses an unknown step', () => {
        const r = build('everything');
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/unknown step everything: expected contracts, dist or all/);
    });
});
