/**
 * What an operator meets first: errors that name what failed (the TON endpoint, a model file, before any network
 * call), addresses in the form a wallet should pay, and the client CLI on a W5 wallet as on a v4 one.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Address } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { contextFromEnv } from '../../worker-runtime/src/cli/client';
import { paymentAddress } from '../../worker-runtime/src/cli/networkConfig';
import { run as runProxy } from '../../worker-runtime/src/cli/proxy';
import { run as runWorker } from '../../worker-runtime/src/cli/worker';
import { chrysalisEnv } from '../fixtures/cli';

jest.setTimeout(60_000);

const MODEL = path.resolve(__dirname, '../../worker-runtime/models/generated/tiny-mlp.onnx');
const REGISTRY = 'EQD__________________________________________0vo';

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

let mnemonic: string;
beforeAll(async () => (mnemonic = (await mnemonicNew()).join(' ')));

describe('operator errors', () => {
    it('a refused connection is reported as the TON endpoint, exit 1', async () => {
        const endpoint = `http://127.0.0.1:${await closedPort()}/jsonRPC`;
        const r = await chrysalisEnv(
            {
                CHRYSALIS_WALLET_MNEMONIC: mnemonic,
                CHRYSALIS_REGISTRY: REGISTRY,
                CHRYSALIS_MODEL_PATH: MODEL,
                CHRYSALIS_TON_ENDPOINT: endpoint,
            },
            'worker',
            'start',
        );
        expect(r.stderr).toContain(
            `chrysalis worker: the TON endpoint ${endpoint} could not be reached (ECONNREFUSED)`,
        );
    });

    it('a missing model file is reported before the network is contacted, exit 2 (worker and proxy)', async () => {
        for (const [run, env, variable] of [
            [runWorker, { CHRYSALIS_MODEL_PATH: '/nonexistent/model.onnx' }, 'CHRYSALIS_MODEL_PATH'],
            [
                runProxy,
                {
                    CHRYSALIS_PROXY_MODELS: `${MODEL},/nonexistent/model.onnx`,
                    CHRYSALIS_PROXY_ADDRESS: REGISTRY,
                    CHRYSALIS_PROXY_SEED: '11'.repeat(32),
                },
                'CHRYSALIS_PROXY_MODELS',
            ],
        ] as const) {
            const err: string[] = [];
            let connected = false;
            const code = await run(['start'], {
                env: { CHRYSALIS_WALLET_MNEMONIC: mnemonic, CHRYSALIS_REGISTRY: REGISTRY, ...env },
                err: (t) => err.push(t),
                out: (t) => err.push(t),
                connect: async () => {
                    connected = true;
                    throw new Error('must not connect');
                },
            });
            expect([code, connected]).toEqual([2, false]);
            expect(err.join('')).toContain(`${variable}: cannot read /nonexistent/model.onnx (ENOENT)`);
        }
    });
});

describe('addresses to pay', () => {
    const address = Address.parse(REGISTRY);
    it('carry the test-network flag off mainnet and are non-bounceable while undeployed', () => {
        const forms = {
            testnetNew: paymentAddress(address, 'testnet', false),
            testnetLive: paymentAddress(address, 'testnet', true),
            mainnetNew: paymentAddress(address, 'mainnet', false),
            mainnetLive: paymentAddress(address, 'mainnet', true),
        };
        expect(forms.testnetNew.slice(0, 2)).toBe('0Q');
        expect(forms.testnetLive.slice(0, 2)).toBe('kQ');
        expect(forms.mainnetNew.slice(0, 2)).toBe('UQ');
        expect(forms.mainnetLive.slice(0, 2)).toBe('EQ');
        for (const form of Object.values(forms)) expect(Address.parse(form).equals(address)).toBe(true);
        expect(Address.parseFriendly(forms.testnetNew)).toMatchObject({ isBounceable: false, isTestOnly: true });
    });
});

describe('client CLI wallets', () => {
    it('opens the W5 (v5r1) wallet of the mnemonic when asked, the v4 one by default', async () => {
        const keyPair = await mnemonicToPrivateKey(mnemonic.split(' '));
        const env = { CHRYSALIS_CLIENT_MNEMONIC: mnemonic, CHRYSALIS_PROXY_ADDRESS: REGISTRY };
        const v4 = await contextFromEnv(env);
        expect(
            v4.wallet.address.equals(WalletContractV4.create({ workchain: 0, publicKey: keyPair.publicKey }).address),
        ).toBe(true);
        const w5 = await contextFromEnv({ ...env, CHRYSALIS_CLIENT_WALLET_VERSION: 'v5r1' });
        const expected = WalletContractV5R1.create({ publicKey: keyPair.publicKey, walletId: { networkGlobalId: -3 } });
        expect(w5.wallet.address.equals(expected.address)).toBe(true);
        const mainnet = await contextFromEnv({
            ...env,
            CHRYSALIS_CLIENT_WALLET_VERSION: 'v5r1',
            CHRYSALIS_NETWORK: 'mainnet',
        });
        expect(mainnet.wallet.address.equals(expected.address)).toBe(false); // the wallet id differs by network
        const bad = await chrysalisEnv({ ...env, CHRYSALIS_CLIENT_WALLET_VERSION: 'v3' }, 'client', 'wallet');
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/CHRYSALIS_CLIENT_WALLET_VERSION/);
    });
});
