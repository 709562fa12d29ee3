import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseDevnetArgs } from '../../worker-runtime/src/devnet/main';
import type { DevnetJson } from '../../worker-runtime/src/devnet/report';

const ROOT = path.resolve(__dirname, '../..');

describe('npm run devnet', () => {
    it('runs paid requests end to end, settles on chain and reconciles (--json)', () => {
        // The npm script as the README gives it (-s: without npm's own banner), build and model steps included:
        // stdout must be the JSON object alone, so that `| jq` works.
        const run = spawnSync('npm', ['run', '-s', 'devnet', '--', '--requests', '20', '--json'], {
            cwd: ROOT,
            encoding: 'utf8',
            timeout: 240_000,
        });
        if (run.status !== 0) throw new Error(`devnet exited ${run.status}:\n${run.stderr.slice(-3000)}`);
        expect(run.stdout.trim().split('\n')).toHaveLength(1);
        const out = JSON.parse(run.stdout) as DevnetJson;
        expect(out.requests).toBe(20);
        expect(out.failed).toBe(0);
        expect(out.reconciled).toBe(true);
        expect(out.latencyMs.p50).toBeGreaterThan(0);
        expect(out.latencyMs.p99).toBeGreaterThanOrEqual(out.latencyMs.p50);
        // The final charge and one payout per worker operator, at least, each a transaction hash.
        const kinds = out.settlementDetails.map((s) => `${s.kind} ${s.party}`);
        expect(kinds).toEqual(expect.arrayContaining(['charge client', 'payout worker 0', 'payout worker 1']));
        for (const hash of out.settlements) expect(hash).toMatch(/^[0-9a-f]{64}$/);
        expect(out.settlementDetails.every((s) => s.success)).toBe(true);
        // The table adds up: every party's change plus the network fees is zero, and the money went the right way.
        const sum = Object.values(out.balances).reduce((acc, b) => acc + BigInt(b.delta), 0n);
        expect(sum + BigInt(out.networkFees)).toBe(0n);
        for (const b of Object.values(out.balances)) expect(BigInt(b.after) - BigInt(b.before)).toBe(BigInt(b.delta));
        expect(BigInt(out.balances.client.delta)).toBeLessThan(0n);
        expect(BigInt(out.balances['worker 0'].delta)).toBeGreaterThan(0n);
        expect(BigInt(out.balances['worker 1'].delta)).toBeGreaterThan(0n);
        expect(out.billing.every((c) => c.ok)).toBe(true);
        expect(out.tokens).toBeGreaterThan(0);
        // The generative folders were served too: a streamed chat, an embedding batch and a transcription, billed by kind.
        expect(out.generative).toMatchObject({ requests: 3, failed: 0 });
        expect(BigInt(out.generative!.tokens.prompt)).toBeGreaterThan(0n);
        expect(BigInt(out.generative!.tokens.reasoning) + BigInt(out.generative!.tokens.completion)).toBeGreaterThan(
            0n,
        );
    }, 250_000);

    it('parses its options, with defaults and clear errors', () => {
        expect(parseDevnetArgs([])).toEqual({
            requests: 200,
            workers: 2,
            concurrency: 8,
            keepRunning: false,
            port: 0,
            gatewayPort: 10000,
            apiPort: null,
            timeScale: 1,
            seed: 'devnet',
            json: false,
            generative: true,
        });
        expect(parseDevnetArgs(['--api-port', '0', '--time-scale', '60'])).toMatchObject({ apiPort: 0, timeScale: 60 });
        expect(() => parseDevnetArgs(['--time-scale', '60'])).toThrow('--time-scale needs --api-port');
        expect(() => parseDevnetArgs(['--api-port', '1', '--time-scale', '0'])).toThrow(
            "--time-scale must be a number above 0 (at most 1000000), got '0'",
        );
        expect(parseDevnetArgs(['--keep-running', '--gateway-port', '12345'])).toMatchObject({ gatewayPort: 12345 });
        expect(parseDevnetArgs(['--keep-running', '--requests', '5', '--json'])).toMatchObject({
            requests: 5,
            keepRunning: true,
            port: 8080,
            json: true,
        });
        expect(() => parseDevnetArgs(['--requests', '0'])).toThrow(
            "--requests must be an integer from 1 to 1000000, got '0'",
        );
        expect(() => parseDevnetArgs(['--workers', 'two'])).toThrow(
            "--workers must be an integer from 1 to 16, got 'two'",
        );
        expect(() => parseDevnetArgs(['--bogus'])).toThrow(/bogus/);
    });
});
