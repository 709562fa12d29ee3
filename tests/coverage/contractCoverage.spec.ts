import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Blockchain } from '@ton/sandbox';
import { ContractCoverageCollector } from './collector';
import { formatTable, writeContractReport } from './contractReport';
import { knownContracts } from './knownContracts';
import { writeRaw } from './rawCoverage';
import { deployNetwork, registerWorker } from '../fixtures/network';

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
