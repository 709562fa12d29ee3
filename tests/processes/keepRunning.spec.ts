/**
 * `npm run devnet -- --processes --keep-running` as a person uses it: the real process, run until it prints the
 * gateway's URL and snippets (the gateway is `chrysalis client serve`, a process of its own); the printed curl and
 * `openai` snippets are run as printed and answered, and SIGINT stops the devnet and every process it started.
 */
import { ChildProcess, execSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { alive } from '../fixtures/processes';

jest.setTimeout(600_000);

const REPO = path.resolve(__dirname, '../..');
let child: ChildProcess | undefined;

afterAll(() => {
    // Its own children are in process groups of their own: SIGINT (not SIGKILL) lets it stop them.
    if (child && child.exitCode === null) child.kill('SIGINT');
});

test('--processes --keep-running serves the gateway process, whose printed curl and openai snippets work', async () => {
    // One node process (tsx as a loader), so that SIGINT reaches the devnet itself, as Ctrl-C does.
    child = spawn(
        process.execPath,
        [
            '--import',
            'tsx',
            'worker-runtime/src/devnet/main.ts',
            '--processes',
            '--keep-running',
            '--port',
            '0',
            '--gateway-port',
            '0',
            '--workers',
            '1',
            '--requests',
            '6',
        ],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + 540_000;
    while (!/\n {2}\(chrysalis client serve with ClientAccount .*\n/.test(out) && child.exitCode === null) {
        if (Date.now() > deadline) throw new Error(`no gateway printed in time:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
    }
    expect(out).toMatch(/reconciled: every nanoton is accounted for/);
    expect(out).toMatch(/generative requests through the gateway process/);
    const gatewayPid = Number(/gateway: pid (\d+)/.exec(out)![1]);
    // The run's gateway stopped to settle its account; the one kept running is a new process.
    expect(alive(gatewayPid)).toBe(false);

    const lines = out.split('\n');
    const at = lines.findIndex((l) => /^gateway http:\/\/127\.0\.0\.1:\d+\/v1$/.test(l));
    expect(at).toBeGreaterThan(0);
    const curl = [lines[at + 1], lines[at + 2]].map((l) => l.trim().replace(/\\$/, '')).join(' ');
    const answer = JSON.parse(execSync(curl, { cwd: REPO, encoding: 'utf8' })) as {
        object: string;
        usage: { total_tokens: number };
    };
    expect(answer).toMatchObject({ object: 'chat.completion' });
    expect(answer.usage.total_tokens).toBeGreaterThan(0);
    const printed = execSync(lines[at + 3].trim(), { cwd: REPO, encoding: 'utf8' });
    expect(printed).toMatch(/prompt_tokens/);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // The gateway went with it.
    const url = lines[at].slice('gateway '.length);
    await expect(fetch(`${url}/models`)).rejects.toThrow();
});
