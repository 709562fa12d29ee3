import { Blockchain, collectAsmCoverage, CoverageData, mergeCoverages } from '@ton/sandbox';
import { KnownContract } from './knownContracts';

/** The sandbox's own record of what ran while coverage is enabled (protected fields of Blockchain 0.41). */
interface CoverageLog {
    coverageTransactions: { vmLogs: string }[][];
    coverageGetMethodResults: { vmLogs: string }[];
}

interface Source {
    log: CoverageLog;
    chain: WeakRef<Blockchain>;
}

/** The first location in a VM log is the root cell of the code that ran (SETCP at offset 0). */
const ROOT_CELL = /code cell hash: ([0-9A-Fa-f]{64})/;

/**
 * collectAsmCoverage decompiles the whole contract on every call (~0.5 s for the registry), so logs are batched per
 * code and traced in one call; the batch is flushed at this size to bound memory in long spec files.
 */
const FLUSH_BYTES = 16 * 1024 * 1024;

export interface ContractCoverage {
    contract: KnownContract;
    data: CoverageData;
}

/**
 * Collects TVM instruction coverage of the known contracts from any number of sandbox chains.
 *
 * It reads the executions the sandbox records under `enableCoverage()` and traces them itself, instead of calling
 * `blockchain.coverage()`: that one re-decompiles the code for every transaction (~0.7 s each) and insists on
 * 'vm_logs_verbose', whose stack dumps make logs ~25× larger and the emulator ~2× slower. Tracing only needs each
 * step's code location and gas, which 'vm_logs_gas' already prints; the covered lines, hits and gas are identical.
 */
export class ContractCoverageCollector {
    private readonly sources: Source[] = [];
    private readonly pending = new Map<string, { logs: string[]; bytes: number }>();
    private readonly traced = new Map<string, CoverageData>();

    constructor(private readonly known: Map<string, KnownContract>) {}

    track(blockchain: Blockchain): void {
        const log = blockchain as unknown as Partial<CoverageLog>;
        if (!Array.isArray(log.coverageTransactions) || !Array.isArray(log.coverageGetMethodResults)) {
            throw new Error('@ton/sandbox no longer records coverage where tests/coverage/collector.ts expects it');
        }
        blockchain.enableCoverage();
        blockchain.verbosity = { ...blockchain.verbosity, vmLogs: 'vm_logs_gas' };
        this.sources.push({ log: log as CoverageLog, chain: new WeakRef(blockchain) });
    }

    /** Moves everything recorded so far out of the tracked chains (so they do not hoard logs), and forgets dead chains. */
    drain(): void {
        for (const { log } of this.sources) {
            for (const txs of log.coverageTransactions.splice(0)) for (const tx of txs) this.add(tx.vmLogs);
            for (const get of log.coverageGetMethodResults.splice(0)) this.add(get.vmLogs);
        }
        for (let i = this.sources.length - 1; i >= 0; i--) {
            if (this.sources[i].chain.deref() === undefined) this.sources.splice(i, 1);
        }
    }

    /** Coverage of every known contract that ran at least once, merged over all tracked chains. */
    results(): ContractCoverage[] {
        this.drain();
        for (const hash of [...this.pending.keys()]) this.flush(hash);
        return [...this.traced].map(([hash, data]) => ({ contract: this.known.get(hash)!, data }));
    }

    private add(vmLogs: string): void {
        const hash = vmLogs.match(ROOT_CELL)?.[1].toLowerCase();
        if (!hash || !this.known.has(hash)) return;
        const batch = this.pending.get(hash) ?? { logs: [], bytes: 0 };
        batch.logs.push(vmLogs);
        batch.bytes += vmLogs.length;
        this.pending.set(hash, batch);
        if (batch.bytes >= FLUSH_BYTES) this.flush(hash);
    }

    private flush(hash: string): void {
        const batch = this.pending.get(hash);
        if (!batch) return;
        this.pending.delete(hash);
        const data = collectAsmCoverage(this.known.get(hash)!.code, batch.logs.join('\n'));
        const before = this.traced.get(hash);
        this.traced.set(hash, before ? mergeCoverages(before, data) : data);
    }
}
