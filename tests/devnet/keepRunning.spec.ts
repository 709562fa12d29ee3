/**
 * `npm run devnet -- --keep-running` as a person uses it: the real process, run until it prints the gateway's URL
 * and snippets; then the printed curl and `openai` snippets are run as printed, and SIGINT stops it cleanly.
 */
import { ChildProcess, execSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

jest.setTimeout(240_000);

const REPO = path.resolve(__dirname, '../..');
let child: ChildProcess | undefined;

afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
});

test('--keep-running serves a gateway whose printed curl and openai snippets work', async () => {
    // One node process (tsx as a loader), so that SIGINT reaches the devnet itself, as Ctrl-C does.
    child = spawn(
        process.execPath,
        [
            '--import',
            'tsx',
            'worker-runtime/src/devnet/main.ts',
            '--keep-running',
            '--port',
            '0',
            '--gateway-port',
            '0',
            '--workers',
            '1',
            '--requests',
            '8',
        ],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + 200_000;
    while (!/\n {2}node -e .*\n/.test(out) && child.exitCode === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
    }
    expect(out).toMatch(/gateway http:\/\/127\.0\.0\.1:\d+\/v1/);
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('gateway http'));
    const curl = [lines[at + 1], lines[at + 2]].map((l) => l.trim().replace(/\\$/, '')).join(' ');
    const answer = JSON.parse(execSync(curl, { cwd: REPO, encoding: 'utf8' })) as {
        object: string;
        usage: { total_tokens: number };
    };
    expect(answer).toMatchObject({ object: 'chat.completion' });
    expect(answer.usage.total_tokens).toBeGreaterThan(0);
    const printed = execSync(lines[at + 3].trim(), { cwd: REPO, encoding: 'utf8' });
    expect(printed).toMatch(/prompt_tokens/);
    // The registry snapshot send.ts reads is the run's own (named by its Redis prefix, not the seed) and goes with it.
    const snapshot = /--snapshot (\S+)/.exec(out)![1];
    expect(path.basename(snapshot)).toMatch(/^chrysalis-devnet-[0-9a-f]+-registry\.json$/);
    expect(existsSync(snapshot)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(0);
    expect(existsSync(snapshot)).toBe(false);
});
