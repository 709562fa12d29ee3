/**
 * `npm run devnet -- --processes --keep-running` as a person uses it: the real process, run until it prints the
 * gateway's URL and snippets (the gateway is `chrysalis client serve`, a process of its own); the printed curl and
 * `openai` snippets are run as printed and answered, and SIGINT stops the devnet and every process it started.
 */
import { alive } from '../fixtures/processes';
import { KeptDevnet, runPrintedGatewaySnippets, startKeptDevnet } from '../fixtures/keptDevnet';

jest.setTimeout(600_000);

let devnet: KeptDevnet | undefined;

afterAll(() => {
    // Its own children are in process groups of their own: SIGINT (not SIGKILL) lets it stop them.
    if (devnet && devnet.child.exitCode === null) devnet.child.kill('SIGINT');
});

test('--processes --keep-running serves the gateway process, whose printed curl and openai snippets work', async () => {
    devnet = startKeptDevnet([
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
    ]);
    await devnet.waitFor(/\n {2}\(chrysalis client serve with ClientAccount .*\n/, 540_000);
    const out = devnet.output();
    expect(out).toMatch(/reconciled: every nanoton is accounted for/);
    expect(out).toMatch(/generative requests through the gateway process/);
    const gatewayPid = Number(/gateway: pid (\d+)/.exec(out)![1]);
    // The run's gateway stopped to settle its account; the one kept running is a new process.
    expect(alive(gatewayPid)).toBe(false);

    const url = runPrintedGatewaySnippets(out);
    expect(await devnet.interrupt()).toBe(0);
    // The gateway went with it.
    await expect(fetch(`${url}/models`)).rejects.toThrow();
});
