/**
 * The standalone devnet chain as a person uses it: `chrysalis devnet chain` in its own process, the faucet and the
 * clock through `chrysalis devnet fund/advance`, and the client CLI pointed at it with CHRYSALIS_NETWORK=devnet
 * (it used to go to testnet.toncenter.com whatever the devnet).
 */
import { createServer } from 'node:net';
import { Address } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { TonChain } from '../../worker-runtime/src/chain';
import { walletContract } from '../../worker-runtime/src/cli/networkConfig';
import { chrysalis, chrysalisEnv } from '../fixtures/cli';
import { ChainProcess, startChainProcess } from './chainProcess';

jest.setTimeout(180_000);

/** A loopback port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
}

describe('chrysalis devnet chain', () => {
    let chain: ChainProcess;

    beforeAll(async () => {
        chain = await startChainProcess();
    });
    afterAll(async () => {
        await chain.stop();
    });

    it('prints its endpoint, the faucet and how to point roles and blueprint at it', () => {
        const out = chain.output();
        expect(out).toContain(`faucet: chrysalis devnet fund <address> <TON> --api ${chain.url}`);
        expect(out).toContain(`CHRYSALIS_NETWORK=devnet CHRYSALIS_TON_ENDPOINT=${chain.url}`);
        expect(out).toContain(`--custom ${chain.url} --custom-version v2 --custom-type testnet --mnemonic`);
    });

    it('funds a new client wallet that the client CLI then sees on the devnet, and advances its clock', async () => {
        const words = await mnemonicNew();
        const env = {
            CHRYSALIS_NETWORK: 'devnet',
            CHRYSALIS_TON_ENDPOINT: chain.url,
            CHRYSALIS_CLIENT_MNEMONIC: words.join(' '),
            CHRYSALIS_CLIENT_WALLET_VERSION: 'v5r1',
        };
        const before = await chrysalisEnv(env, 'client', 'wallet');
        expect(before.stderr).toBe('');
        expect(before.stdout).toMatch(/^wallet (\S+): not deployed yet, balance 0 TON\n$/);
        const address = before.stdout.split(' ')[1].replace(/:$/, '');
        const keys = await mnemonicToPrivateKey(words);
        expect(Address.parse(address).equals(walletContract('v5r1', 'devnet', keys.publicKey).address)).toBe(true);

        const funded = await chrysalis('devnet', 'fund', address, '7.25', '--api', chain.url);
        expect(funded.code).toBe(0);
        expect(funded.stdout).toMatch(
            /^funded \S+ with 7\.25 TON: balance 7\.25 TON \(transaction \d+:[0-9a-f]{64}\)\n$/,
        );
        const after = await chrysalisEnv(env, 'client', 'wallet');
        expect(after.stdout).toBe(`wallet ${address}: not deployed yet, balance 7.25 TON\n`);

        const tonChain = new TonChain({ network: 'devnet', endpoint: chain.url });
        const t0 = await tonChain.now();
        const advanced = await chrysalis('devnet', 'advance', '86400', '--api', chain.url);
        expect(advanced.code).toBe(0);
        expect(advanced.stdout).toMatch(/^chain time \d+ \(.*\)\n$/);
        expect(await tonChain.now()).toBeGreaterThanOrEqual(t0 + 86400);
    });

    it('says what is wrong with a bad amount, and when no chain is there', async () => {
        const bad = await chrysalis('devnet', 'fund', new Address(0, Buffer.alloc(32)).toString(), 'lots');
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/<TON> must be an amount such as 1\.5, got lots/);
        const refused = await chrysalis('devnet', 'fund', 'not-an-address', '1', '--api', chain.url);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/the devnet chain refused: "not-an-address" is not a TON address/);
        const nobody = await chrysalis(
            'devnet',
            'advance',
            '5',
            '--api',
            `http://127.0.0.1:${await closedPort()}/jsonRPC`,
        );
        expect(nobody.code).toBe(1);
        expect(nobody.stderr).toMatch(/could not be reached \(ECONNREFUSED\).*chrysalis devnet chain/);
    });

    it('refuses deployment options without --deploy', async () => {
        const refused = await chrysalis('devnet', 'chain', '--api-port', '0', '--seed', 'x');
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(/--seed goes with --deploy/);
    });

    it('stops on SIGTERM with exit code 0', async () => {
        const other = await startChainProcess(['--time-scale', '10']);
        expect(other.output()).toContain('clock: 10× wall time');
        expect(await other.stop()).toBe(0);
    });
});
