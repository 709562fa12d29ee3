/**
 * `npm run devnet -- --keep-running` as a person uses it: the real process, run until it prints the gateway's URL
 * and snippets; then the printed curl and `openai` snippets are run as printed, and SIGINT stops it cleanly.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { KeptDevnet, runPrintedGatewaySnippets, startKeptDevnet } from '../fixtures/keptDevnet';

jest.setTimeout(240_000);

let devnet: KeptDevnet | undefined;

afterAll(() => {
    if (devnet && devnet.child.exitCode === null) devnet.child.kill('SIGKILL');
});

test('--keep-running serves a gateway whose printed curl and openai snippets work', async () => {
    devnet = startKeptDevnet([
        '--keep-running',
        '--port',
        '0',
        '--gateway-port',
        '0',
        '--workers',
        '1',
        '--requests',
        '8',
    ]);
    await devnet.waitFor(/\n {2}node -e .*\n/, 200_000);
    runPrintedGatewaySnippets(devnet.output());
    // The registry snapshot send.ts reads is the run's own (named by its Redis prefix, not the seed) and goes with it.
    const snapshot = /--snapshot (\S+)/.exec(devnet.output())![1];
    expect(path.basename(snapshot)).toMatch(/^chrysalis-devnet-[0-9a-f]+-registry\.json$/);
    expect(existsSync(snapshot)).toBe(true);
    expect(await devnet.interrupt()).toBe(0);
    expect(existsSync(snapshot)).toBe(false);
});
