/**
 * The devnet chain's clock: wall time, sped up by a time scale, plus whatever an operator advanced it by. The sandbox
 * reads its time from `blockchain.now`; this keeps that value following the clock, and never moves it back (the
 * sandbox refuses a transaction older than an account's last one, and other code, such as the in-process devnet,
 * may set it too).
 */
import type { Blockchain } from '@ton/sandbox';

export class ChainClock {
    private readonly wallStart = Date.now();
    private readonly chainStart: number;
    private offset = 0;

    constructor(
        private readonly blockchain: Blockchain,
        /** Chain seconds per wall-clock second. */
        readonly timeScale = 1,
    ) {
        if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
            throw new RangeError(`the time scale must be a positive number, got ${timeScale}`);
        }
        this.chainStart = Math.max(blockchain.now ?? 0, Math.floor(this.wallStart / 1000));
    }

    /** The chain's time now, in Unix seconds; sets the sandbox's clock to it when that is behind. */
    tick(): number {
        const now = this.clockTime();
        if ((this.blockchain.now ?? 0) < now) this.blockchain.now = now;
        return this.blockchain.now ?? now;
    }

    /** Moves the chain's time forward by `seconds` (a delay elapses at once); returns the new time. */
    advance(seconds: number): number {
        if (!Number.isInteger(seconds) || seconds < 0) {
            throw new RangeError(`seconds must be a non-negative integer, got ${seconds}`);
        }
        // Advancing from where the sandbox is, which may be ahead of this clock.
        const ahead = (this.blockchain.now ?? 0) - this.clockTime();
        this.offset += seconds + Math.max(0, ahead);
        return this.tick();
    }

    private clockTime(): number {
        return Math.floor(this.chainStart + ((Date.now() - this.wallStart) / 1000) * this.timeScale + this.offset);
    }
}
