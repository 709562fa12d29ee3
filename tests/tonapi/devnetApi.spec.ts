/**
 * `npm run devnet -- --keep-running --api-port 0`: the in-process devnet serves its own chain through the TON API.
 * Once it prints `ton api <URL>`, TonChain reads the deployed registry through it, and the faucet funds an address.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { Address } from '@ton/core';
import { TonChain } from '../../worker-runtime/src/chain';
import { Registry } from '../../wrappers/Registry';
import { chrysalis } from '../fixtures/cli';
import { REPO } from './chainProcess';

jest.setTimeout(300_000);

let child: ChildProcess | undefined;

afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
});

test('the devnet prints its TON API, which serves the deployed network and a faucet', async () => {
    // One node process (tsx as a loader), so that SIGINT reaches the devnet itself.
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
            '--api-port',
            '0',
            '--workers',
            '1',
            '--requests',
            '4',
            '--no-generative',
            // Keys of its own: other devnets of the suite may share this Redis.
            '--seed',
            'tonapi-spec',
        ],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + 240_000;
    while (!/serving the proxy API/.test(out) && child.exitCode === null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
    }
    const url = out.match(/^ton api (http:\/\/127\.0\.0\.1:\d+\/jsonRPC)$/m)?.[1];
    if (!url || !/serving the proxy API/.test(out)) throw new Error(`the devnet did not start its TON API:\n${out}`);
    const registryAddress = Address.parse(out.match(/chain: registry (\S+),/)![1]);

    const chain = new TonChain({ network: 'devnet', endpoint: url });
    const registry = chain.open(Registry.fromAddress(registryAddress));
    expect((await registry.getParams()).isTestNetwork).toBe(true);
    const models = await registry.getModels();
    expect(models.values().map((m) => m.name)).toContain('silero-vad');
    expect((await registry.getModel(models.keys()[0]))?.name).toBe(models.values()[0].name);

    const someone = new Address(0, Buffer.alloc(32, 0x33));
    const funded = await chrysalis('devnet', 'fund', someone.toString(), '3', '--api', url);
    expect(funded.code).toBe(0);
    expect(await chain.balance(someone)).toBe(3_000_000_000n);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
});
