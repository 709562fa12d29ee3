/**
 * setupFilesAfterEnv of jest.coverage.config.js. Only with CHRYSALIS_COVERAGE=1: every sandbox chain a spec creates
 * (the fixtures, SandboxChain, script providers all go through Blockchain.create) records TVM coverage, and after the
 * spec file its coverage per contract lands in coverage/contracts/raw/ for tests/coverage/report.ts to merge.
 */
import * as path from 'path';
import { Blockchain } from '@ton/sandbox';
import { ContractCoverageCollector } from './collector';
import { knownContracts } from './knownContracts';
import { RAW_DIR, writeRaw } from './rawCoverage';

if (process.env.CHRYSALIS_COVERAGE === '1') {
    const collector = new ContractCoverageCollector(knownContracts());
    const create = Blockchain.create.bind(Blockchain);
    // Wrapping the factory (rather than editing each fixture) also catches chains made outside the fixtures.
    Blockchain.create = async (...args: Parameters<typeof Blockchain.create>) => {
        const blockchain = await create(...args);
        collector.track(blockchain);
        return blockchain;
    };
    afterEach(() => collector.drain());
    afterAll(() => {
        const testFile = path.relative(path.join(__dirname, '../..'), expect.getState().testPath ?? 'unknown');
        writeRaw(RAW_DIR, collector.results(), testFile);
    });
}
