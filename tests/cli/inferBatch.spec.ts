/**
 * `chrysalis client infer --inputs <requests.jsonl>` against the sandbox network (the context a real run builds from
 * the environment is injected, as in tests/client/cli.spec.ts): many requests from one process, several in flight,
 * one JSON line per answer, the latest voucher kept (and resumed from), every receipt kept and checkable offline; a
 * request that fails mid-batch loses nothing of the others; a requests file that is not one is a usage error.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, ClientCliContext } from '../../worker-runtime/src/cli/client';
import { createHarness, Harness, mlpInputs } from '../proxy/harness';
import { clientCliContext } from '../fixtures/clientCli';

jest.setTimeout(120_000);

let h: Harness;
let ctx: ClientCliContext;
let lines: string[];
const dir = mkdtempSync(path.join(tmpdir(), 'chrysalis-cli-batch-'));

interface Answer {
    line: number;
    requestId: string;
    model: string;
    outputs: Record<string, { dims: number[] }> | null;
    tokens: number;
    cumulative: string;
    workerKey: string;
    receiptVerified: boolean;
    receiptFile: string | null;
    recovered: boolean;
    ms: number;
}

beforeAll(async () => {
    h = await createHarness({ area: 'client-cli-batch' });
    ctx = await clientCliContext(h, 'cli-batch', (line) => lines.push(line));
    lines = [];
    expect(await run(['open', '--stake', '1', '--deposit', '5'], ctx)).toBe(0);
});
afterAll(async () => h?.close());
beforeEach(() => (lines = []));

/** Writes a requests file: one JSON line per entry (strings are written as they are: broken lines for the specs). */
function requestsFile(name: string, entries: Array<object | string>): string {
    const file = path.join(dir, name);
    writeFileSync(file, entries.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n');
    return file;
}

const cumulativeIn = (file: string) => BigInt(JSON.parse(readFileSync(file, 'utf8')).cumulative);

test('many requests from one process: a JSON line per answer, the latest voucher and every receipt kept', async () => {
    const rows = [1, 2, 3, 1, 2, 3, 1, 2];
    // Most lines take the model of --model; one names it itself.
    const file = requestsFile(
        'batch.jsonl',
        rows.map((r, i) => (i === 3 ? { model: h.model.hash, inputs: mlpInputs(r, i) } : { inputs: mlpInputs(r, i) })),
    );
    const voucherFile = path.join(dir, 'batch-voucher.json');
    const receiptDir = path.join(dir, 'batch-receipts');
    const args = ['--voucher-file', voucherFile, '--receipt-dir', receiptDir];
    const code = await run(
        ['infer', '--inputs', file, '--model', h.model.hash, '--concurrency', '3', '--json', ...args],
        ctx,
    );
    expect(code).toBe(0);
    const answers = lines.map((l) => JSON.parse(l) as Answer);
    expect(answers.map((a) => a.line).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const a of answers) {
        // A classifier: one token per request and one per row.
        expect(a.tokens).toBe(1 + rows[a.line - 1]);
        expect(a.outputs!.logits.dims).toEqual([rows[a.line - 1], 4]);
        expect(a.receiptVerified).toBe(true);
        expect(a.recovered).toBe(false);
        expect(a.workerKey).toMatch(/^[0-9a-f]{64}$/);
        expect(a.model).toBe(h.model.hash);
        expect(a.receiptFile).toBe(path.join(receiptDir, `${a.requestId}.json`));
    }
    const total = rows.reduce((s, r) => s + 1 + r, 0);
    expect(Math.max(...answers.map((a) => Number(a.cumulative)))).toBe(total);
    expect(cumulativeIn(voucherFile)).toBe(BigInt(total));
    expect(readdirSync(receiptDir).sort()).toEqual(answers.map((a) => `${a.requestId}.json`).sort());

    // Each kept receipt checks offline against a registry snapshot holding its worker's stake.
    const snapshot = path.join(dir, 'batch-snapshot.json');
    expect(await run(['snapshot', '--out', snapshot, '--worker', answers[0].workerKey], ctx)).toBe(0);
    for (const a of answers) {
        expect(await run(['verify-receipt', a.receiptFile!, '--snapshot', snapshot], ctx)).toBe(0);
        expect(lines.at(-1)).toMatch(/^receipt: verified offline/);
    }

    // A second batch resumes from the kept voucher: the count goes on, and one commit settles both.
    lines = [];
    const more = requestsFile('more.jsonl', [{ inputs: mlpInputs(2, 9) }]);
    expect(await run(['infer', '--inputs', more, '--model', h.model.hash, ...args], ctx)).toBe(0);
    expect(lines[0]).toMatch(new RegExp(`^line 1: tokens 3; cumulative units ${total + 3}; receipt verified`));
    expect(lines[1]).toBe(`1/1 requests answered; latest voucher in ${voucherFile}, receipts in ${receiptDir}`);
    expect(await run(['commit', '--voucher-file', voucherFile], ctx)).toBe(0);
    expect(lines.at(-1)).toBe(`committed: charged ${total + 3} units`);
});

test('a request that fails mid-batch is reported on its line (exit 1); the answered ones keep their voucher', async () => {
    const charged = async () => {
        lines = [];
        await run(['account'], ctx);
        return BigInt(/charged (\d+) units/.exec(lines[0])![1]);
    };
    const before = await charged();
    lines = [];
    // Line 3 does not fit the model (2 features where it takes 16): the proxy refuses it, charging nothing.
    const bad = { inputs: { features: { type: 'float32', dims: [1, 2], data: [1, 2] } } };
    const file = requestsFile('failing.jsonl', [
        { inputs: mlpInputs(1, 1) },
        { inputs: mlpInputs(2, 2) },
        bad,
        { inputs: mlpInputs(3, 3) },
        { inputs: mlpInputs(1, 4) },
    ]);
    const voucherFile = path.join(dir, 'failing-voucher.json');
    const receiptDir = path.join(dir, 'failing-receipts');
    const code = await run(
        [
            'infer',
            '--inputs',
            file,
            '--model',
            h.model.hash,
            '--concurrency',
            '1',
            '--json',
            '--voucher-file',
            voucherFile,
            '--receipt-dir',
            receiptDir,
        ],
        ctx,
    );
    expect(code).toBe(1);
    const printed = lines.map((l) => JSON.parse(l) as Answer & { error?: string });
    // One at a time: the lines come in order, the failure in the middle, the later requests still sent.
    expect(printed.map((p) => p.line)).toEqual([1, 2, 3, 4, 5]);
    expect(printed[2]).toEqual({
        line: 3,
        model: h.model.hash,
        error: expect.stringMatching(/^the proxy refused: 400 invalid_input/),
    });
    const answered = printed.filter((p) => !p.error);
    expect(answered.map((a) => a.tokens)).toEqual([2, 3, 4, 2]);
    expect(readdirSync(receiptDir)).toHaveLength(4);
    // The voucher of everything answered is kept, from where this account's count stood.
    expect(cumulativeIn(voucherFile)).toBe(before + 11n);
    expect(await run(['commit', '--voucher-file', voucherFile], ctx)).toBe(0);
    expect(await charged()).toBe(before + 11n);
});

test('a requests file that is not one, or options that do not go together, are usage errors (exit 2) naming why', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const voucherFile = path.join(dir, 'usage-voucher.json');
    const refused = async (args: string[], why: RegExp) => {
        const code = await run(['infer', '--voucher-file', voucherFile, ...args], ctx);
        expect([code, String(stderr.mock.calls.at(-1)?.[0])]).toEqual([2, expect.stringMatching(why)]);
    };
    try {
        const good = { inputs: mlpInputs(1, 1) };
        const notJson = requestsFile('not-json.jsonl', [good, '{"inputs": {']);
        await refused(['--inputs', notJson, '--model', h.model.hash], /not-json\.jsonl line 2 is not JSON/);
        const noInputs = requestsFile('no-inputs.jsonl', [good, { model: h.model.hash, features: {} }]);
        await refused(['--inputs', noInputs, '--model', h.model.hash], /no-inputs\.jsonl line 2: expected \{"model"/);
        const arrayLine = requestsFile('array.jsonl', [[good]]);
        await refused(['--inputs', arrayLine, '--model', h.model.hash], /array\.jsonl line 1: expected/);
        const noModel = requestsFile('no-model.jsonl', [good]);
        await refused(['--inputs', noModel], /no-model\.jsonl line 1 names no model \(nor --model\)/);
        const empty = requestsFile('empty.jsonl', ['', '  ']);
        await refused(['--inputs', empty, '--model', h.model.hash], /empty\.jsonl holds no request/);
        await refused(['--inputs', path.join(dir, 'absent.jsonl'), '--model', h.model.hash], /cannot read .*absent/);
        await refused(['--inputs', noModel, '--input', noModel, '--model', h.model.hash], /--input .* or --inputs/);
        await refused(['--inputs', noModel, '--receipt-file', 'r.json', '--model', h.model.hash], /--receipt-dir/);
        await refused(['--inputs', noModel, '--concurrency', '0', '--model', h.model.hash], /--concurrency must/);
        await refused(['--inputs', noModel, '--recover-for', 'soon', '--model', h.model.hash], /--recover-for must/);
        // Nothing was sent: no voucher kept.
        expect(existsSync(voucherFile)).toBe(false);
        expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(/infer --inputs <requests\.jsonl>/);
    } finally {
        stderr.mockRestore();
    }
});
