/**
 * `chrysalis worker start` / `chrysalis proxy start` with a bad environment: exit 2, one message naming every bad
 * variable (never echoing the mnemonic), and nothing touched: no chain connection, no Redis key.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mnemonicNew, mnemonicToPrivateKey, mnemonicValidate, mnemonicWordList } from '@ton/crypto';
import { WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import { Redis } from 'ioredis';
import { run as runProxy } from '../../worker-runtime/src/cli/proxy';
import { run as runWorker } from '../../worker-runtime/src/cli/worker';
import { TonChain } from '../../worker-runtime/src/chain';
import { connectNetwork, isTonMnemonic, toncenterEndpoint } from '../../worker-runtime/src/cli/networkConfig';
import { ServeIo } from '../../worker-runtime/src/cli/serve';
import { REDIS_URL, testPrefix } from '../proxy/harness';

jest.setTimeout(60000);

const root = join(__dirname, '..', '..');
let redis: Redis;
beforeAll(() => (redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null })));
afterAll(async () => redis?.quit());

/** Runs a command and records what it wrote and whether it tried to reach the network. */
async function attempt(run: (argv: string[], io: ServeIo) => Promise<number>, env: Record<string, string>) {
    const err: string[] = [];
    let connected = false;
    const code = await run(['start'], {
        env,
        err: (t) => err.push(t),
        out: (t) => err.push(t),
        connect: async () => {
            connected = true;
            throw new Error('must not connect with a bad configuration');
        },
    });
    return { code, message: err.join(''), connected };
}

async function keysUnder(prefix: string): Promise<string[]> {
    const [, keys] = await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    return keys;
}

test('worker: a missing registry, a mistyped mnemonic, a bad network and a bad port in one message, exit 2', async () => {
    const prefix = testPrefix('cli-config');
    const words = await mnemonicNew();
    const typo = [...words];
    typo[2] = 'notaword';
    const { code, message, connected } = await attempt(runWorker, {
        REDIS_URL,
        CHRYSALIS_PREFIX: prefix,
        CHRYSALIS_MODEL_PATH: '/nonexistent/model.onnx',
        CHRYSALIS_WALLET_MNEMONIC: typo.join(' '),
        CHRYSALIS_NETWORK: 'localnet',
        CHRYSALIS_WORKER_HTTP_PORT: '70000',
        CHRYSALIS_WORKER_SEED: 'abcd',
    });
    expect(code).toBe(2);
    expect(connected).toBe(false);
    expect(message).toMatch(/^chrysalis worker: invalid configuration:/);
    expect(message).toMatch(/CHRYSALIS_REGISTRY is required/);
    expect(message).toMatch(/CHRYSALIS_WALLET_MNEMONIC: word\(s\) #3 are not in the TON word list/);
    expect(message).toMatch(/CHRYSALIS_NETWORK: expected one of testnet, mainnet, devnet, got "localnet"/);
    expect(message).toMatch(/CHRYSALIS_WORKER_HTTP_PORT: expected an integer from 0 to 65535, got "70000"/);
    expect(message).toMatch(/CHRYSALIS_WORKER_SEED: expected 64 hex characters/);
    // The operator's secret never reaches the terminal or the logs.
    // (single words may occur in the prose — "address", "model" are mnemonic words — so look for pairs.)
    for (let i = 0; i + 1 < words.length; i++) expect(message).not.toContain(`${words[i]} ${words[i + 1]}`);
    expect(await keysUnder(prefix)).toEqual([]);
});

test('proxy: bad addresses, seed, port, network and a short mnemonic in one message, exit 2', async () => {
    const prefix = testPrefix('cli-config');
    const { code, message, connected } = await attempt(runProxy, {
        REDIS_URL,
        CHRYSALIS_PREFIX: prefix,
        CHRYSALIS_REGISTRY: 'not-an-address',
        CHRYSALIS_PROXY_SEED: 'zz'.repeat(32),
        CHRYSALIS_PROXY_PORT: '99999',
        CHRYSALIS_PROXY_MODELS: ' , ',
        CHRYSALIS_NETWORK: 'Mainnet',
        CHRYSALIS_WALLET_MNEMONIC: (await mnemonicNew()).slice(0, 23).join(' '),
        CHRYSALIS_TON_ENDPOINT: 'toncenter.com',
    });
    expect(code).toBe(2);
    expect(connected).toBe(false);
    const lines = message.split('\n').filter((l) => l.startsWith('  '));
    expect(lines.map((l) => l.trim().split(/[: ]/)[0]).sort()).toEqual(
        [
            'CHRYSALIS_PROXY_PORT',
            'CHRYSALIS_REGISTRY',
            'CHRYSALIS_PROXY_ADDRESS',
            'CHRYSALIS_PROXY_SEED',
            'CHRYSALIS_PROXY_MODELS',
            'CHRYSALIS_NETWORK',
            'CHRYSALIS_TON_ENDPOINT',
            'CHRYSALIS_WALLET_MNEMONIC',
        ].sort(),
    );
    expect(message).toMatch(/CHRYSALIS_REGISTRY: expected a TON address/);
    expect(message).toMatch(/CHRYSALIS_PROXY_ADDRESS is required/);
    expect(message).toMatch(/CHRYSALIS_WALLET_MNEMONIC: expected 24 words, got 23/);
    expect(await keysUnder(prefix)).toEqual([]);
});

test('a mnemonic of listed words that is no TON wallet mnemonic is refused; the check agrees with @ton/crypto', async () => {
    // Deterministic word sequences: most fail the TON checksum, a few pass; mnemonicNew's always pass.
    const samples = Array.from({ length: 40 }, (_, s) =>
        Array.from({ length: 24 }, (_, i) => mnemonicWordList[(s * 7919 + i * 104729) % mnemonicWordList.length]),
    );
    samples.push(await mnemonicNew(), await mnemonicNew());
    let refused = 0;
    for (const words of samples) {
        const ours = isTonMnemonic(words);
        expect(ours).toBe(await mnemonicValidate(words));
        if (!ours) refused++;
    }
    expect(refused).toBeGreaterThan(20);
    const bad = samples.find((w) => !isTonMnemonic(w))!;
    const { code, message } = await attempt(runWorker, {
        CHRYSALIS_REGISTRY: '0:' + '0'.repeat(64),
        CHRYSALIS_MODEL_PATH: '/nonexistent/model.onnx',
        CHRYSALIS_WALLET_MNEMONIC: bad.join('  ').toUpperCase(),
    });
    expect(code).toBe(2);
    expect(message).toMatch(/CHRYSALIS_WALLET_MNEMONIC: the words do not form a TON wallet mnemonic/);
});

test('usage errors exit 2', async () => {
    for (const run of [runWorker, runProxy]) {
        const err: string[] = [];
        expect(await run([], { err: (t) => err.push(t) })).toBe(2);
        expect(await run(['stop'], { err: (t) => err.push(t) })).toBe(2);
        expect(await run(['start', 'now'], { err: (t) => err.push(t) })).toBe(2);
        expect(await run(['start', '--frobnicate'], { err: (t) => err.push(t) })).toBe(2);
        expect(err.join('')).toMatch(/unknown command "stop"[\s\S]*unexpected arguments: now/);
    }
});

test('proxy close is a command of the proxy only; with extra arguments it is a usage error', async () => {
    const err: string[] = [];
    expect(await runWorker(['close'], { err: (t) => err.push(t) })).toBe(2);
    expect(await runProxy(['close', 'now'], { err: (t) => err.push(t) })).toBe(2);
    expect(err.join('')).toMatch(/unknown command "close"[\s\S]*unexpected arguments: now/);
    // With a bad environment the proxy's close exits 2 like its start: the command itself was understood.
    const bad: string[] = [];
    expect(await runProxy(['close'], { err: (t) => bad.push(t), env: {} })).toBe(2);
    expect(bad.join('')).not.toMatch(/unknown command/);
});

test('the installed command exits 2 on a bad configuration, naming the variables', () => {
    const res = spawnSync(process.execPath, [join(root, 'bin', 'chrysalis.js'), 'proxy', 'start'], {
        env: { PATH: process.env.PATH, CHRYSALIS_NETWORK: 'localnet' },
        encoding: 'utf8',
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/CHRYSALIS_NETWORK: expected one of testnet, mainnet, devnet/);
    expect(res.stderr).toMatch(/CHRYSALIS_PROXY_SEED is required/);
    expect(res.stdout).toBe('');
});

test('the network factory builds a TonChain on the network toncenter and the wallet of the mnemonic (no I/O)', async () => {
    const words = await mnemonicNew();
    const keyPair = await mnemonicToPrivateKey(words);
    const config = {
        network: 'testnet',
        endpoint: '',
        apiKey: '',
        mnemonic: words.join(' '),
        walletVersion: 'v4',
    } as const;
    const v4 = await connectNetwork(config);
    expect(v4.chain).toBeInstanceOf(TonChain);
    expect(v4.chain.network).toBe('testnet');
    expect(toncenterEndpoint('testnet')).toMatch(/^https:\/\/testnet\.toncenter\.com\//);
    expect(toncenterEndpoint('mainnet')).toMatch(/^https:\/\/toncenter\.com\//);
    expect(
        v4.wallet.address.equals(WalletContractV4.create({ workchain: 0, publicKey: keyPair.publicKey }).address),
    ).toBe(true);
    // A W5 wallet's address depends on the network it was created for.
    const w5test = await connectNetwork({ ...config, walletVersion: 'v5r1' });
    const w5main = await connectNetwork({ ...config, network: 'mainnet', walletVersion: 'v5r1' });
    expect(w5main.chain.network).toBe('mainnet');
    expect(w5test.wallet.address.equals(w5main.wallet.address)).toBe(false);
    expect(
        w5main.wallet.address.equals(
            WalletContractV5R1.create({ publicKey: keyPair.publicKey, walletId: { networkGlobalId: -239 } }).address,
        ),
    ).toBe(true);
});
