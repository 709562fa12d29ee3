/**
 * A protocol engineer's rehearsal: against `chrysalis devnet chain` (its own process), with the same scripts and
 * flags as on testnet — `npx blueprint run <script> --custom <URL> --custom-version v2 --custom-type testnet
 * --mnemonic` — a faucet-funded W5 wallet deploys a registry (deployRegistry) and governs it (setHalter). Each
 * blueprint run is a real child process; the result is read back through TonChain.
 */
import { execFile } from 'node:child_process';
import { Address } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { TonChain } from '../../worker-runtime/src/chain';
import { walletContract } from '../../worker-runtime/src/cli/networkConfig';
import { Registry } from '../../wrappers/Registry';
import { chrysalis } from '../fixtures/cli';
import { ChainProcess, REPO, startChainProcess } from './chainProcess';

jest.setTimeout(480_000);

function blueprint(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
        const child = execFile(
            'npx',
            ['blueprint', ...args],
            { cwd: REPO, env, timeout: 220_000 },
            (err, stdout, stderr) =>
                resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
        );
        child.stdin?.end();
    });
}

describe('blueprint scripts against the devnet chain', () => {
    let chain: ChainProcess;

    beforeAll(async () => {
        chain = await startChainProcess();
    });
    afterAll(async () => {
        await chain.stop();
    });

    it('deploys a registry with deployRegistry and sets its halter with setHalter', async () => {
        const words = await mnemonicNew();
        const keys = await mnemonicToPrivateKey(words);
        // The wallet blueprint derives from WALLET_MNEMONIC / WALLET_VERSION on a testnet-type network.
        const wallet = walletContract('v5r1', 'devnet', keys.publicKey).address;
        const funded = await chrysalis(
            'devnet',
            'fund',
            wallet.toString({ bounceable: false, testOnly: true }),
            '20',
            '--api',
            chain.url,
        );
        expect(funded.code).toBe(0);

        const env = { ...process.env, WALLET_MNEMONIC: words.join(' '), WALLET_VERSION: 'v5r1' };
        const network = ['--custom', chain.url, '--custom-version', 'v2', '--custom-type', 'testnet', '--mnemonic'];
        const treasury = new Address(0, Buffer.alloc(32, 0x11));
        const deploy = await blueprint(
            ['run', 'deployRegistry', ...network, '--', '--treasury', treasury.toString()],
            env,
        );
        if (deploy.code !== 0) throw new Error(`deployRegistry failed:\n${deploy.output}`);
        expect(deploy.output).toMatch(/deploy Registry: done \(\d+ transactions\)/);
        const registryAddress = Address.parse(deploy.output.match(/Registry deployed at (\S+)/)![1]);

        const tonChain = new TonChain({ network: 'devnet', endpoint: chain.url });
        const registry = tonChain.open(Registry.fromAddress(registryAddress));
        const deployed = await registry.getGovernance();
        expect(deployed.owner.equals(wallet)).toBe(true);
        expect(deployed.halter).toBeNull();
        expect((await registry.getParams()).treasury.equals(treasury)).toBe(true);

        const halter = new Address(0, Buffer.alloc(32, 0x22));
        const govern = await blueprint(
            [
                'run',
                'setHalter',
                ...network,
                '--',
                '--registry',
                registryAddress.toString(),
                '--halter',
                halter.toString(),
            ],
            env,
        );
        if (govern.code !== 0) throw new Error(`setHalter failed:\n${govern.output}`);
        expect(govern.output).toMatch(/SetHalter: done/);
        expect((await registry.getGovernance()).halter?.equals(halter)).toBe(true);
        // The wallet paid for both (and was deployed by its first transfer).
        expect((await tonChain.provider(wallet).getState()).state.type).toBe('active');
    });
});
