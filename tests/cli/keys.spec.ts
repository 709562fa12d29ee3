/** `chrysalis keys`: a worker or proxy key made where the CLI runs; only the public key is printed. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keyPairFromSeed } from '@ton/crypto';
import { chrysalis } from '../fixtures/cli';

describe('chrysalis keys', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chrysalis-keys-'));
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('new writes the seed with mode 0600 and prints only the public key', async () => {
        const file = path.join(tmp, 'worker.seed');
        const r = await chrysalis('keys', 'new', '--out', file);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        const seed = fs.readFileSync(file, 'utf8').trim();
        expect(seed).toMatch(/^[0-9a-f]{64}$/);
        expect(r.stdout).not.toContain(seed);
        expect(r.stdout.trim()).toBe(Buffer.from(keyPairFromSeed(Buffer.from(seed, 'hex')).publicKey).toString('hex'));
        // show prints the same public key again.
        const shown = await chrysalis('keys', 'show', file, '--json');
        expect(shown.code).toBe(0);
        expect(JSON.parse(shown.stdout)).toEqual({ publicKey: r.stdout.trim(), seedFile: file });
    });

    it('never replaces an existing key unless --force, and then keeps the file private', async () => {
        const file = path.join(tmp, 'proxy.seed');
        fs.writeFileSync(file, 'keep me\n', { mode: 0o644 });
        const refused = await chrysalis('keys', 'new', '--out', file);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`${file} exists already (--force replaces it)`);
        expect(fs.readFileSync(file, 'utf8')).toBe('keep me\n');
        const forced = await chrysalis('keys', 'new', '--out', file, '--force');
        expect(forced.code).toBe(0);
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });

    it('exits 2 on usage errors and 1 on a file that holds no seed', async () => {
        expect((await chrysalis('keys', 'new')).code).toBe(2);
        expect((await chrysalis('keys', 'frobnicate')).code).toBe(2);
        expect((await chrysalis('keys', 'new', '--out', path.join(tmp, 'x'), '--bogus')).code).toBe(2);
        const bad = path.join(tmp, 'bad.seed');
        fs.writeFileSync(bad, 'not hex');
        const r = await chrysalis('keys', 'show', bad);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/does not hold a 32-byte seed/);
        const help = await chrysalis('keys', '--help');
        expect(help.code).toBe(0);
        expect(help.stdout).toMatch(/^usage: chrysalis keys new/);
    });
});
