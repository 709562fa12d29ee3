/**
 * `chrysalis client ...` against the sandbox network (the context a real run builds from the environment is
 * injected): open an account, top up, list models, infer with a verified receipt, commit the voucher, usage errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Address, toNano } from '@ton/core';
import { run, ClientCliContext } from '../../worker-runtime/src/cli/client';
import { deployClientWallet } from '../../worker-runtime/src/devnet/clientWallet';
import { devnetKeyPair } from '../../worker-runtime/src/devnet/keys';
import { createHarness, Harness, mlpInputs } from '../proxy/harness';

jest.setTimeout(60000);

let h: Harness;
let ctx: ClientCliContext;
let lines: string[];
const dir = mkdtempSync(path.join(tmpdir(), 'chrysalis-cli-'));

beforeAll(async () => {
    h = await createHarness({ area: 'client-cli' });
    const funder = await h.chain.blockchain.treasury('cli-faucet');
    const wallet = await deployClientWallet(h.chain.blockchain, funder, devnetKeyPair(h.prefix, 'cli'), toNano('20'));
    ctx = {
        config: {
            proxyUrl: h.url,
            proxyAddress: h.net.proxy.contract.address.toString(),
            registryAddress: h.net.registry.address.toString(),
        },
        chain: h.chain,
        wallet: { address: wallet.wallet.address, sender: wallet.sender, keyPair: wallet.keyPair },
        out: (line) => lines.push(line),
    };
});
afterAll(async () => h?.close());
beforeEach(() => (lines = []));

test('open, top up, models, infer, commit', async () => {
    expect(await run(['account'], ctx)).toBe(0);
    expect(lines[0]).toMatch(/not opened yet/);
    expect(await run(['open', '--stake', '1', '--deposit', '2'], ctx)).toBe(0);
    expect(lines[1]).toMatch(/active, balance 2\.\d+ TON, stake 1 TON, charged 0 units/);
    expect(await run(['top-up', '1'], ctx)).toBe(0);
    expect(lines[2]).toMatch(/balance 3\.\d+ TON/);
    expect(await run(['models'], ctx)).toBe(0);
    expect(lines[3]).toBe(`${h.model.hash}  tiny-mlp (classifier)`);
    expect(await run(['verify-proxy'], ctx)).toBe(0);
    expect(lines[4]).toMatch(/proxy attestation: valid/);

    const input = path.join(dir, 'in.json');
    writeFileSync(input, JSON.stringify(mlpInputs(4, 2)));
    const voucherFile = path.join(dir, 'voucher.json');
    expect(await run(['infer', '--model', h.model.hash, '--input', input, '--voucher-file', voucherFile], ctx)).toBe(0);
    expect(lines[5]).toMatch(/^outputs: \{"label"|^outputs: \{"logits"/);
    expect(lines[6]).toBe('tokens: 5; cumulative units: 5');
    expect(lines[7]).toMatch(/receipt: verified, signed by worker [0-9a-f]{64}/);
    expect(await run(['commit', '--voucher-file', voucherFile], ctx)).toBe(0);
    expect(lines[8]).toBe('committed: charged 5 units');
});

test('usage errors exit with 2 and say what is wrong', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
        expect(await run(['open'], ctx)).toBe(2);
        expect(String(stderr.mock.calls[0][0])).toMatch(/--stake must be an amount of TON/);
        expect(await run(['frobnicate'], ctx)).toBe(2);
        expect(await run(['infer', '--model', h.model.hash, '--input', '/nonexistent.json'], ctx)).toBe(2);
        expect(await run(['account'], { ...ctx, config: { ...ctx.config, proxyAddress: 'nope' } })).toBe(2);
        // A bad input file content is the proxy's 400, exit 1.
        const bad = path.join(dir, 'bad.json');
        writeFileSync(bad, JSON.stringify({ features: { type: 'float32', dims: [1, 2], data: [1, 2] } }));
        expect(await run(['infer', '--model', h.model.hash, '--input', bad], ctx)).toBe(1);
        expect(String(stderr.mock.calls.at(-1)![0])).toMatch(/the proxy refused: 400 invalid_input/);
    } finally {
        stderr.mockRestore();
    }
});

test('wallet prints the address to fund in the form a wallet app should pay', async () => {
    expect(await run(['wallet'], ctx)).toBe(0);
    // Deployed on a test chain: bounceable, with the test-network flag ("kQ…").
    expect(lines[0]).toMatch(/^wallet kQ[\w-]{46}: deployed, balance \d+(\.\d+)? TON$/);
    expect(Address.parse(lines[0].split(' ')[1].replace(':', '')).equals(ctx.wallet.address)).toBe(true);
});
