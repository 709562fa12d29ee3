/**
 * The operator commands exist: `chrysalis worker` and `chrysalis proxy` are registered groups whose `--help` prints
 * the options tables exactly as `describeSchema` writes them, and docs/worker.md and docs/proxy.md show the same
 * tables (so the docs cannot drift from what the commands read).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeSchema } from '../../worker-runtime/src/config/schema';
import { main } from '../../worker-runtime/src/cli/main';
import { NETWORK_SCHEMA } from '../../worker-runtime/src/cli/networkConfig';
import { PROXY_START_SCHEMA, run as runProxy } from '../../worker-runtime/src/cli/proxy';
import { run as runWorker } from '../../worker-runtime/src/cli/worker';
import { PROXY_SCHEMA } from '../../worker-runtime/src/roles/proxy/config';
import { workerConfigSchema } from '../../worker-runtime/src/roles/worker/config';
import { fillConfigTables, markedTables } from '../../worker-runtime/scripts/configDocs';

jest.setTimeout(30000);

const root = join(__dirname, '..', '..');

async function help(run: typeof runWorker, argv: string[]): Promise<{ code: number; text: string }> {
    const out: string[] = [];
    const code = await run(argv, { out: (t) => out.push(t), err: (t) => out.push(t) });
    return { code, text: out.join('') };
}

test('worker --help prints the usage and the worker and chain/wallet tables', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['start', '--help']]) {
        const { code, text } = await help(runWorker, argv);
        expect(code).toBe(0);
        expect(text).toMatch(/^usage: chrysalis worker start/);
        expect(text).toContain(describeSchema(workerConfigSchema));
        expect(text).toContain(describeSchema(NETWORK_SCHEMA));
    }
});

test('proxy --help prints the usage and the proxy, start and chain/wallet tables', async () => {
    const { code, text } = await help(runProxy, ['--help']);
    expect(code).toBe(0);
    expect(text).toMatch(/^usage: chrysalis proxy start/);
    for (const schema of [PROXY_SCHEMA, PROXY_START_SCHEMA, NETWORK_SCHEMA])
        expect(text).toContain(describeSchema(schema));
});

test('both groups are registered in the CLI', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
        expect(await main([])).toBe(0);
        const groups = String(stderr.mock.calls.map((c) => c[0]).join(''));
        expect(groups).toMatch(/^ {2}worker +run a worker against a TON network/m);
        expect(groups).toMatch(/^ {2}proxy +run the proxy against a TON network/m);
        expect(await main(['worker', '--help'])).toBe(0);
        expect(await main(['proxy', '--help'])).toBe(0);
        expect(String(stdout.mock.calls.map((c) => c[0]).join(''))).toContain(describeSchema(PROXY_START_SCHEMA));
    } finally {
        stderr.mockRestore();
        stdout.mockRestore();
    }
});

test('`npx chrysalis worker --help` works from the installed binary', () => {
    const res = spawnSync(process.execPath, [join(root, 'bin', 'chrysalis.js'), 'worker', '--help'], {
        env: { PATH: process.env.PATH },
        encoding: 'utf8',
    });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(describeSchema(workerConfigSchema));
});

test('docs/worker.md and docs/proxy.md show exactly the tables the commands read', () => {
    const worker = readFileSync(join(root, 'docs', 'worker.md'), 'utf8');
    expect(markedTables(worker).sort()).toEqual(['network', 'worker']);
    const proxy = readFileSync(join(root, 'docs', 'proxy.md'), 'utf8');
    expect(markedTables(proxy).sort()).toEqual(['network', 'proxy', 'proxy-start']);
    for (const doc of [worker, proxy]) {
        expect(fillConfigTables(doc)).toBe(doc);
        expect(doc).toMatch(/npx chrysalis (worker|proxy) start/);
    }
});
