import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EndToEndResults } from '../../worker-runtime/bench/endToEnd';

const ROOT = path.resolve(__dirname, '../..');

describe('npm run bench (end to end)', () => {
    it('measures HTTP through the devnet next to raw ONNX Runtime and BullMQ, and writes the results file', () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'chrysalis-bench-'));
        const out = path.join(dir, 'results.json');
        try {
            const run = spawnSync(
                process.execPath,
                [
                    '-r',
                    'tsx/cjs',
                    'worker-runtime/bench/endToEnd.ts',
                    ...['--requests', '10', '--concurrency', '1,2', '--runs', '50', '--jobs', '50', '--samples', '10'],
                    ...['--rates', '20,40', '--seconds', '0.5'],
                    ...['--out', out],
                ],
                { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
            );
            if (run.status !== 0) throw new Error(`bench exited ${run.status}:\n${run.stderr.slice(-3000)}`);
            expect(run.stdout).toContain('end-to-end through HTTP');
            const results = JSON.parse(readFileSync(out, 'utf8')) as EndToEndResults;
            expect(results.endToEnd.map((r) => [r.concurrency, r.requests, r.failures])).toEqual([
                [1, 10, 0],
                [2, 10, 0],
            ]);
            for (const r of results.endToEnd) {
                expect(r.requestsPerSecond).toBeGreaterThan(0);
                expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
            }
            expect(run.stdout).toContain('end-to-end at a fixed rate');
            // Open loop: every scheduled request is sent, and the added latency is taken against the raw pool.
            expect(results.fixedRate.map((r) => [r.offeredPerSecond, r.requests, r.failures])).toEqual([
                [20, 10, 0],
                [40, 20, 0],
            ]);
            for (const r of results.fixedRate) {
                expect(r.achievedPerSecond).toBeGreaterThan(0);
                expect(r.maxMs).toBeGreaterThanOrEqual(r.p99Ms);
                expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
                expect(typeof r.addedP50Ms).toBe('number');
                expect(typeof r.keptUp).toBe('boolean');
            }
            expect(results.rawInference.length).toBeGreaterThanOrEqual(2);
            expect(results.queue.map((q) => q.queue)).toEqual(expect.arrayContaining(['raw BullMQ', 'sealed']));
            expect(typeof results.addedP50Ms).toBe('number');
            expect(results.machine.cpus).toBeGreaterThan(0);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }, 150_000);
});
