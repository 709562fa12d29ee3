/**
 * The devnet chain's clock is read over its TON API (it may run ahead of the wall clock: `--time-scale`,
 * `chrysalis devnet advance`), which would cost a request per read on a proxy's hot path. A reading is therefore kept
 * for DEVNET_CLOCK_CACHE_MS, counted from when it was asked for, and the devnet's advance answers only that long
 * after it moved the clock: whoever hears that an advance happened (the CLI, a test) can no longer reach a process
 * whose cached reading predates it. Between advances a kept reading lags the chain by at most this long (times the
 * time scale), as a read in flight would by its round trip.
 */
export const DEVNET_CLOCK_CACHE_MS = 500;

/** A clock read through `read`, kept DEVNET_CLOCK_CACHE_MS; concurrent callers share one read. */
export class CachedDevnetClock {
    private kept: { value: number; askedAt: number } | null = null;
    private reading: { value: Promise<number>; askedAt: number } | undefined;

    constructor(
        private readonly read: () => Promise<number>,
        private readonly monotonicMs: () => number = () => performance.now(),
    ) {}

    now(): Promise<number> {
        const at = this.monotonicMs();
        const kept = this.kept;
        if (kept && at - kept.askedAt < DEVNET_CLOCK_CACHE_MS) return Promise.resolve(kept.value);
        // A read in flight is joined only while it is as young as a kept reading may be old.
        if (this.reading && at - this.reading.askedAt < DEVNET_CLOCK_CACHE_MS) return this.reading.value;
        const reading = {
            askedAt: at,
            value: this.read().then((value) => {
                // Never keep an older reading over a newer one (a slow read answering late).
                if (!this.kept || at >= this.kept.askedAt) this.kept = { value, askedAt: at };
                return value;
            }),
        };
        this.reading = reading;
        const clear = () => {
            if (this.reading === reading) this.reading = undefined;
        };
        reading.value.then(clear, clear);
        return reading.value;
    }
}
