/**
 * The tensor request stream of `npm run devnet -- --processes` is sent by a client process of its own, started with
 * the client CLI as an app developer starts it (`chrysalis client infer --inputs <requests.jsonl> --json`, the demo
 * client's words in CHRYSALIS_CLIENT_MNEMONIC), and settled by `chrysalis client commit` from the voucher file it
 * kept; the devnet counts its answer lines, and the run reconciles on chain to the nanoton.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { ProcessDevnet, startProcessDevnet } from '../../worker-runtime/src/devnet/processes/orchestrator';
import { TENSOR_CLIENT } from '../../worker-runtime/src/devnet/processes/tensorClient';
import { runOnDevnet } from '../../worker-runtime/src/devnet/run';
import { alive } from '../fixtures/processes';

jest.setTimeout(900_000);

const REQUESTS = 12;

let devnet: ProcessDevnet | null = null;

afterAll(async () => {
    await devnet?.stop();
});

/** What /proc shows of a running process: its command line and environment. */
function seen(pid: number): { argv: string[]; env: Map<string, string> } | null {
    try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        const env = new Map(
            readFileSync(`/proc/${pid}/environ`, 'utf8')
                .split('\0')
                .filter(Boolean)
                .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
        );
        return { argv, env };
    } catch {
        return null;
    }
}

test('the tensor stream runs in a `chrysalis client infer` process of its own, and the run reconciles', async () => {
    devnet = await startProcessDevnet({
        workers: 2,
        models: ['tiny-mlp', 'embedding'],
        generative: [],
        seed: `tensor-client-${randomBytes(3).toString('hex')}`,
    });
    const d = devnet;
    const roles = d.children.names().map((n) => d.children.get(n)!.pid);
    // Watch for the client process while the run goes on: what the operating system shows of it.
    let shown: ReturnType<typeof seen> = null;
    let running = true;
    const watch = (async () => {
        while (running && !shown) {
            const child = d.children.get(TENSOR_CLIENT);
            if (child) shown = seen(child.pid);
            await new Promise((r) => setTimeout(r, 20));
        }
    })();
    const result = await runOnDevnet(d, { requests: REQUESTS, concurrency: 3 });
    running = false;
    await watch;

    // One client process, not this one nor any role's, started through the CLI's binary with the stream's file.
    expect(d.tensorClients).toHaveLength(1);
    const { pid, args } = d.tensorClients[0];
    expect(pid).not.toBe(process.pid);
    expect(roles).not.toContain(pid);
    expect(shown).not.toBeNull();
    const argv = shown!.argv;
    expect(argv[0]).toBe(process.execPath);
    expect(argv.slice(1)).toEqual(args);
    expect(argv.find((a) => a.endsWith('bin/chrysalis.js'))).toBeDefined();
    expect(argv.slice(argv.indexOf('client'), argv.indexOf('client') + 4)).toEqual([
        'client',
        'infer',
        '--inputs',
        join(d.logDir, 'client-requests.jsonl'),
    ]);
    // Configured as an app developer configures it: the demo client's words, the proxy, the devnet's TON API.
    const env = shown!.env;
    const keys = await mnemonicToPrivateKey(env.get('CHRYSALIS_CLIENT_MNEMONIC')!.split(' '));
    expect(keys.publicKey.equals(d.network.client.keyPair.publicKey)).toBe(true);
    expect(env.get('CHRYSALIS_PROXY_URL')).toBe(d.proxyUrl);
    expect(env.get('CHRYSALIS_TON_ENDPOINT')).toBe(d.tonApi);
    expect(env.get('CHRYSALIS_NETWORK')).toBe('devnet');
    expect(alive(pid)).toBe(false);

    // Its answer lines are what the devnet counted: one per request, each with a receipt kept.
    const answers = readFileSync(join(d.logDir, `${TENSOR_CLIENT}.log`), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { line: number; tokens: number; receiptVerified: boolean; requestId: string });
    expect(answers.map((a) => a.line).sort((a, b) => a - b)).toEqual(Array.from({ length: REQUESTS }, (_, i) => i + 1));
    expect(answers.every((a) => a.receiptVerified)).toBe(true);
    expect(answers.reduce((s, a) => s + a.tokens, 0)).toBe(result.stream.tokens);
    expect(readdirSync(join(d.logDir, 'client-receipts')).sort()).toEqual(
        answers.map((a) => `${a.requestId}.json`).sort(),
    );
    expect(result.stream.failed).toBe(0);
    expect(result.stream.latenciesMs).toHaveLength(REQUESTS);
    expect(Object.keys(result.stream.tokensByModel).sort()).toEqual(['embedding', 'tiny-mlp']);

    // Settled from its voucher file by `chrysalis client commit`: the client's charge is on chain, and it reconciles.
    const kept = JSON.parse(readFileSync(join(d.logDir, 'client-vouchers.json'), 'utf8')) as { cumulative: string };
    const account = await d.network.client.account.getAccountData();
    expect(account.charged).toBe(BigInt(kept.cumulative));
    expect(result.settlements.some((s) => s.party === 'client' && s.kind === 'charge' && s.success)).toBe(true);
    expect(result.billing.filter((c) => !c.ok)).toEqual([]);
    expect(result.ledger.strayMessages).toEqual([]);
    expect(result.ledger.imbalance).toBe(0n);
    expect(result.reconciled).toBe(true);
});
