import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
    attest,
    encodeDocument,
    imageHash,
    SIMULATED_MEASUREMENTS,
    SimulatedProvider,
} from '../../worker-runtime/src/tee';
import { chrysalis } from '../fixtures/cli';

describe('chrysalis attest', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chrysalis-attest-cli-'));
    const write = (name: string, data: string | Buffer) => {
        const file = path.join(tmp, name);
        fs.writeFileSync(file, data);
        return file;
    };
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('marks a simulated document as such and refuses it, but still prints its image hash', async () => {
        const provider = new SimulatedProvider({ logger: { warn: () => undefined } });
        const doc = await attest(provider, Buffer.alloc(32, 5));
        const file = write('simulated.json', encodeDocument(doc));
        const r = await chrysalis('attest', 'verify', file, '--json');
        expect(r.code).toBe(1);
        expect(JSON.parse(r.stdout)).toMatchObject({
            valid: false,
            kind: 'simulated',
            mrTd: SIMULATED_MEASUREMENTS.mrTd.toString('hex'),
            error: expect.stringMatching(/simulated quote .* only on test networks/),
        });
        const hash = await chrysalis('attest', 'image-hash', file);
        expect(hash.stdout.trim()).toBe(imageHash(SIMULATED_MEASUREMENTS).toString('hex'));
    });

    it('shows usage for a wrong command and an error for a missing file', async () => {
        expect((await chrysalis('attest', 'frobnicate')).code).toBe(2);
        const missing = await chrysalis('attest', 'verify', path.join(tmp, 'nope.dat'));
        expect(missing.code).toBe(1);
        expect(missing.stderr).toMatch(/ENOENT|no such file/);
    });
});
