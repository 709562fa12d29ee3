/**
 * `chrysalis client ...` against the sandbox network (the context a real run builds from the environment is
 * injected): open an account, top up, list models, infer with a verified receipt, commit the voucher, usage errors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Address } from '@ton/core';
import { run, ClientCliContext } from '../../worker-runtime/src/cli/client';
import { createHarness, Harness, mlpInputs } from '../proxy/harness';
import { startForgingRelay } from '../fixtures/forgingRelay';
import { clientCliContext } from '../fixtures/clientCli';

jest.setTimeout(60000);

let h: Harness;
let ctx: ClientCliContext;
let lines: string[];
const dir = mkdtempSync(path.join(tmpdir(), 'chrysalis-cli-'));

beforeAll(async () => {
    h = await createHarness({ area: 'client-cli' });
    ctx = await clientCliContext(h, 'cli', (line) => lines.push(line));
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
    const receiptFile = path.join(dir, 'receipt0.json');
    expect(
        await run(
            [
                'infer',
                '--model',
                h.model.hash,
                '--input',
                input,
                '--voucher-file',
                voucherFile,
                '--receipt-file',
                receiptFile,
            ],
            ctx,
        ),
    ).toBe(0);
    expect(lines[5]).toMatch(/^outputs: \{"label"|^outputs: \{"logits"/);
    expect(lines[6]).toBe('tokens: 5; cumulative units: 5');
    expect(lines[7]).toMatch(/receipt: verified, signed by worker [0-9a-f]{64}/);
    expect(await run(['commit', '--voucher-file', voucherFile], ctx)).toBe(0);
    expect(lines[8]).toBe('committed: charged 5 units');
    // The proxy's record of that request, asked with a query signed by the wallet key.
    const kept = JSON.parse(readFileSync(receiptFile, 'utf8')) as { request: { requestId: string } };
    expect(await run(['receipt', kept.request.requestId], ctx)).toBe(0);
    expect(JSON.parse(lines[9])).toMatchObject({ requestId: kept.request.requestId, tokens: 5 });
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

test('infer refuses outputs forged and re-signed with an unstaked key; verify-receipt checks a kept receipt offline', async () => {
    // A good receipt is kept, and checks offline against a snapshot holding its worker's stake.
    const input = path.join(dir, 'in2.json');
    writeFileSync(input, JSON.stringify(mlpInputs(1, 7)));
    const receiptFile = path.join(dir, 'receipt.json');
    const voucherFile = path.join(dir, 'voucher2.json');
    const common = ['--input', input, '--voucher-file', voucherFile, '--receipt-file', receiptFile];
    expect(await run(['infer', '--model', h.model.hash, ...common], ctx)).toBe(0);
    const kept = JSON.parse(readFileSync(receiptFile, 'utf8'));
    const snapshotFile = path.join(dir, 'snapshot.json');
    expect(await run(['snapshot', '--out', snapshotFile, '--worker', kept.receipt.workerKey], ctx)).toBe(0);
    expect(lines.at(-1)).toBe(`registry snapshot: 1 worker stake(s) saved to ${snapshotFile}`);
    expect(await run(['verify-receipt', receiptFile, '--snapshot', snapshotFile], ctx)).toBe(0);
    expect(lines.at(-1)).toMatch(/^receipt: verified offline, signed by worker [0-9a-f]{64}/);

    // Through an attacker on the path: the forged answer is refused, and no voucher or receipt is kept from it.
    const relay = await startForgingRelay(h.url);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
        const forged = { ...ctx, config: { ...ctx.config, proxyUrl: relay.url } };
        const voucherBefore = readFileSync(voucherFile, 'utf8');
        expect(await run(['infer', '--model', h.model.hash, ...common], forged)).toBe(1);
        expect(relay.forged).toBe(1);
        expect(String(stderr.mock.calls.at(-1)![0])).toBe(
            `receipt: REFUSED: worker ${relay.attackerKey} is not staked for this model: ` +
                'the worker key has no WorkerStake (not registered)\n',
        );
        expect(readFileSync(voucherFile, 'utf8')).toBe(voucherBefore);
        expect(JSON.parse(readFileSync(receiptFile, 'utf8')).receipt.workerKey).toBe(kept.receipt.workerKey);
    } finally {
        stderr.mockRestore();
        await relay.close();
    }

    // The same forgery kept in a file (what a relay would hand over) is refused offline too.
    const forgedFile = path.join(dir, 'forged.json');
    const attacker = await startForgingRelay(h.url);
    try {
        const res = await fetch(`${attacker.url}/v1/workers/${attacker.attackerKey}`);
        const { announcement } = (await res.json()) as { announcement: unknown };
        const bundle = { ...kept, announcement, receipt: { ...kept.receipt, workerKey: attacker.attackerKey } };
        writeFileSync(forgedFile, JSON.stringify(bundle));
    } finally {
        await attacker.close();
    }
    expect(await run(['verify-receipt', forgedFile, '--snapshot', snapshotFile], ctx)).toBe(1);
    expect(lines.at(-1)).toMatch(/^receipt: REFUSED: /);
});

test('wallet prints the address to fund in the form a wallet app should pay', async () => {
    expect(await run(['wallet'], ctx)).toBe(0);
    // Deployed on a test chain: bounceable, with the test-network flag ("kQ…").
    expect(lines[0]).toMatch(/^wallet kQ[\w-]{46}: deployed, balance \d+(\.\d+)? TON$/);
    expect(Address.parse(lines[0].split(' ')[1].replace(':', '')).equals(ctx.wallet.address)).toBe(true);
});
