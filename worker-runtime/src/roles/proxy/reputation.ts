/**
 * Reputation: each worker's recent attempts (success or not, and how long it took). A worker whose success rate over
 * the window falls below the threshold, once it has made enough attempts to judge, is reported for demotion; the
 * proxy then rotates the model's queue key through admission, so the worker can no longer open new jobs and its
 * requests are retried on the others.
 */
export type AttemptOutcome = 'success' | 'failure' | 'timeout';

export interface ReputationPolicy {
    /** Percent. */
    minSuccessRate: number;
    minSamples: number;
    window: number;
}

export interface WorkerReputation {
    workerKey: string;
    attempts: number;
    successRate: number;
    /** Median latency of the successful attempts in the window, ms (null when none succeeded). */
    p50LatencyMs: number | null;
    demoted: boolean;
}

interface Sample {
    outcome: AttemptOutcome;
    ms: number;
}

export class ReputationBook {
    private readonly samples = new Map<string, Sample[]>();
    private readonly demoted = new Set<string>();

    constructor(private readonly policy: ReputationPolicy) {}

    /** Records an attempt; returns true when this attempt takes the worker below the threshold (demote it now). */
    record(workerKey: string, outcome: AttemptOutcome, ms: number): boolean {
        const list = this.samples.get(workerKey) ?? [];
        list.push({ outcome, ms });
        if (list.length > this.policy.window) list.shift();
        this.samples.set(workerKey, list);
        if (this.demoted.has(workerKey) || list.length < this.policy.minSamples) return false;
        if (this.successRate(list) * 100 >= this.policy.minSuccessRate) return false;
        this.demoted.add(workerKey);
        return true;
    }

    isDemoted(workerKey: string): boolean {
        return this.demoted.has(workerKey);
    }

    /** A re-admitted worker (new attestation, new grant) starts over. */
    reset(workerKey: string): void {
        this.samples.delete(workerKey);
        this.demoted.delete(workerKey);
    }

    get(workerKey: string): WorkerReputation {
        const list = this.samples.get(workerKey) ?? [];
        const ok = list
            .filter((s) => s.outcome === 'success')
            .map((s) => s.ms)
            .sort((a, b) => a - b);
        return {
            workerKey,
            attempts: list.length,
            successRate: list.length ? this.successRate(list) : 1,
            p50LatencyMs: ok.length ? ok[Math.floor((ok.length - 1) / 2)] : null,
            demoted: this.demoted.has(workerKey),
        };
    }

    all(): WorkerReputation[] {
        return [...this.samples.keys()].map((k) => this.get(k));
    }

    private successRate(list: Sample[]): number {
        return list.filter((s) => s.outcome === 'success').length / list.length;
    }
}
