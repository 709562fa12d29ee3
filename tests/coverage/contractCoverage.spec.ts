import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { toNano } from '@ton/core';
import { Blockchain, collectAsmCoverage, generateCoverageSummary } from '@ton/sandbox';
import { ContractCoverageCollector } from './collector';
import { formatTable, writeContractReport } from './contractReport';
import { withoutEmbeddedCode } from './embedded';
import { knownContracts } from './knownContracts';
import { mergeRaw, writeRaw } from './rawCoverage';
import { deployNetwork, registerWorker } from '../fixtures/network';
import { createBillingNetwork, openClient, payout, sendVoucher } from '../fixtures/billing';

const REQUIRED = ['ClientAccount', 'Proxy', 'Registry', 'WorkerAccount', 'WorkerStake'];

describe('contract coverage plumbing', () => {
    const known = knownContracts();
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chrysalis-coverage-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('names every contract of the build by its code hash', () => {
        const names = new Set([...known.values()].map((c) => c.name));
        for (const name of REQUIRED) expect(names).toContain(name);
        for (const [hash, c] of known) expect(c.code.hash().toString('hex')).toBe(hash);
    });

    it('records what a sent message executed, merges it from raw files and reports it per contract', async () => {
        const net = await deployNetwork();
        const collector = new ContractCoverageCollector(known);
        collector.track(net.blockchain);
        const worker = await registerWorker(net, 'coverage');
        await net.registry.getWorkerStakeAddress(worker.workerKey);

        const results = collector.results();
        const registryHash = net.registry.init!.code.hash().toString('hex');
        expect(results.map((r) => r.contract.hash)).toContain(registryHash);
        // The stake the registry deployed ran too, under its own name.
        expect(results.map((r) => r.contract.name)).toContain('WorkerStake');

        const rawDir = path.join(dir, 'raw');
        // Two spec files' worth of the same run: merging must not count an instruction twice.
        writeRaw(rawDir, results, 'first.spec.ts');
        writeRaw(rawDir, results, 'second.spec.ts');
        // A few contracts keep the report fast: tracing code nothing ran still decompiles it.
        const some = new Map([...known].filter(([, c]) => ['Registry', 'WorkerStake', 'Proxy'].includes(c.name)));
        const { rows, stale } = writeContractReport(rawDir, dir, some);
        expect(stale).toEqual([]);

        const registry = rows.find((r) => r.hash === registryHash)!;
        const single = results.find((r) => r.contract.hash === registryHash)!;
        expect(registry.contract).toBe('Registry');
        expect(registry.covered).toBeGreaterThan(0);
        expect(registry.covered).toBeLessThan(registry.total);
        expect(registry.testFiles).toBe(2);
        expect(registry.covered).toBe(single.data.lines.filter((l) => l.info.$ === 'Covered').length);
        expect(fs.readFileSync(registry.html, 'utf8')).toContain('<html');

        // Contracts nothing ran are listed at 0% rather than left out.
        const proxy = rows.find((r) => r.contract === 'Proxy')!;
        expect(proxy.covered).toBe(0);
        expect(proxy.total).toBeGreaterThan(0);
        expect(rows.map((r) => r.contract)).toEqual(['Proxy', 'Registry', 'WorkerStake']);
        // Raw coverage of a code the build no longer has is named, not reported.
        const withoutRegistry = new Map([...some].filter(([hash]) => hash !== registryHash));
        const rebuilt = writeContractReport(rawDir, dir, withoutRegistry);
        expect(rebuilt.stale).toEqual([`Registry ${registryHash.slice(0, 8)}`]);
        expect(rebuilt.rows.map((r) => r.contract)).not.toContain('Registry');

        expect(formatTable(rows)).toMatch(/^Registry\s+\d+\/\d+\s+\d+\.\d\d%/m);
    });

    it('counts the code a parent embeds for initOf under the child only (the Proxy carries its accounts)', async () => {
        const net = await createBillingNetwork();
        const collector = new ContractCoverageCollector(known);
        collector.track(net.blockchain);
        const client = await net.blockchain.treasury('client');
        const { account } = await openClient(net.blockchain, net.main, client, toNano('1'), toNano('1'));
        await sendVoucher(net.blockchain, net.main.owner, 'charge', account.address, 10n, net.main.keys.secretKey);
        await payout(net.blockchain, net.main, await net.blockchain.treasury('worker'), 10n);

        const rawDir = path.join(dir, 'raw');
        writeRaw(rawDir, collector.results(), 'billing.spec.ts');
        const names = ['Proxy', 'ClientAccount', 'WorkerAccount'];
        const some = new Map([...known].filter(([, c]) => names.includes(c.name)));
        const { rows } = writeContractReport(rawDir, dir, some);
        const row = (name: string) => rows.find((r) => r.contract === name)!;
        const proxy = row('Proxy');

        // Every copy of a child's code is left out whole: copies × the child's own instruction count.
        expect(proxy.embedded.map((e) => e.contract)).toEqual(['ClientAccount', 'WorkerAccount']);
        for (const e of proxy.embedded) {
            expect(e.copies).toBeGreaterThanOrEqual(1);
            expect(e.instructions).toBe(e.copies * row(e.contract).total);
            expect(row(e.contract).embedded).toEqual([]);
        }
        const proxyCode = net.main.proxy.init!.code;
        const whole = generateCoverageSummary(collectAsmCoverage(proxyCode, ''));
        const left = proxy.embedded.reduce((s, e) => s + e.instructions, 0);
        expect(proxy.total).toBe(whole.totalLines - left);
        // Nothing the Proxy ran is lost: the child code never runs as the Proxy.
        const proxyRaw = mergeRaw(rawDir).find((m) => m.contract === 'Proxy')!;
        expect(proxy.covered).toBe(generateCoverageSummary(proxyRaw.data).coveredLines);
        expect(proxy.covered).toBeGreaterThan(0);
        expect(proxy.percent).toBeCloseTo((proxy.covered / proxy.total) * 100, 6);

        // The HTML shows a marker instead of the child's code, and its own summary agrees with the row.
        const html = fs.readFileSync(proxy.html, 'utf8');
        expect(html).toContain('ClientAccount code =&gt; left out');
        expect(html).toContain(String(proxy.total));
        expect(formatTable(rows)).toMatch(/^Proxy\s+\d+\/\d+\s+\d+\.\d\d%\s+1\s+\d× ClientAccount \(\d+\)/m);

        // A parent keeps whatever is not another contract of the build; a contract that embeds nothing is unchanged.
        const withoutWorker = new Map([...some].filter(([, c]) => c.name !== 'WorkerAccount'));
        const partial = withoutEmbeddedCode(collectAsmCoverage(proxyCode, ''), withoutWorker);
        expect(partial.embedded.map((e) => e.contract)).toEqual(['ClientAccount']);
        const clientCode = [...some.values()].find((c) => c.name === 'ClientAccount')!.code;
        const plain = collectAsmCoverage(clientCode, '');
        expect(withoutEmbeddedCode(plain, known)).toEqual({ data: plain, embedded: [] });
    });

    it('ignores code outside the build (the treasury wallets)', async () => {
        const blockchain = await Blockchain.create();
        const collector = new ContractCoverageCollector(known);
        collector.track(blockchain);
        const a = await blockchain.treasury('a');
        const b = await blockchain.treasury('b');
        await a.send({ to: b.address, value: 1n });
        expect(collector.results()).toEqual([]);
    });
});
