import type { Logger } from '../../observability';
import type { AdmissionOutcome } from './admission';

/** What the loop drives: `WorkerAdmission`, or anything else that can admit announced workers. */
export interface AdmissionDriver {
    admitPending(): Promise<AdmissionOutcome[]>;
    /** Demotes admitted workers whose stake is no longer Active; returns their keys. */
    revalidate?(): Promise<string[]>;
}

export interface AdmissionLoopOptions {
    /** Pause between two admission passes (announcements → attestation and stake checks → grants). */
    intervalMs: number;
    /** How often admitted workers' stakes are read again (0 = never). */
    revalidateMs?: number;
    logger?: Logger;
}

/**
 * Runs admission in the background for as long as a proxy serves: a worker that announces itself is granted its
 * model's queue key within one interval, with nobody calling `admitPending()`. Passes never overlap; a refused worker
 * is logged once per distinct reason (it is retried every pass, and would otherwise fill the log).
 */
export class AdmissionLoop {
    private timer: NodeJS.Timeout | null = null;
    private running: Promise<void> = Promise.resolve();
    private stopped = true;
    private lastRevalidate = Date.now();
    private readonly refusals = new Map<string, string>();

    constructor(
        private readonly driver: AdmissionDriver,
        private readonly options: AdmissionLoopOptions,
    ) {}

    /** Starts with a pass right away. */
    start(): void {
        if (!this.stopped) return;
        this.stopped = false;
        this.lastRevalidate = Date.now();
        this.schedule(0);
    }

    /** One pass now (also what the timer runs). */
    async pass(): Promise<void> {
        const log = this.options.logger;
        try {
            for (const outcome of await this.driver.admitPending()) {
                if (outcome.admitted) {
                    this.refusals.delete(outcome.workerKey);
                    log?.info({ workerKey: outcome.workerKey, keyVersion: outcome.keyVersion }, 'worker admitted');
                } else if (this.refusals.get(outcome.workerKey) !== outcome.reason) {
                    this.refusals.set(outcome.workerKey, outcome.reason);
                    log?.warn({ workerKey: outcome.workerKey, reason: outcome.reason }, 'worker not admitted');
                }
            }
            const every = this.options.revalidateMs ?? 0;
            if (every > 0 && this.driver.revalidate && Date.now() - this.lastRevalidate >= every) {
                this.lastRevalidate = Date.now();
                for (const workerKey of await this.driver.revalidate()) {
                    log?.warn({ workerKey }, 'worker demoted: its stake is no longer active');
                }
            }
        } catch (err) {
            log?.warn({ err: (err as Error).message }, 'admission pass failed');
        }
    }

    /** Stops the timer and waits for a pass in progress (it may be writing grants). */
    async stop(): Promise<void> {
        this.stopped = true;
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        await this.running;
    }

    private schedule(delayMs: number): void {
        this.timer = setTimeout(() => {
            this.timer = null;
            this.running = this.pass().finally(() => {
                if (!this.stopped) this.schedule(this.options.intervalMs);
            });
        }, delayMs);
    }
}
