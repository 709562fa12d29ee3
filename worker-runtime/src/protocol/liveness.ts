/**
 * Worker liveness: a worker's announcement (RedisKeys.announcement) is written with an expiry of
 * {@link ANNOUNCEMENT_TTL_MS}, which the worker renews every {@link ANNOUNCEMENT_RENEW_MS} for as long as it runs. A
 * worker that dies (SIGKILL, a crash, its machine gone) stops renewing, and its announcement leaves Redis by itself.
 *
 * The proxy reads the remaining time (PTTL) to learn when the announcement was last renewed, and admits a worker only
 * when that is after its admission started: a proxy restarted after a worker died never admits the dead worker from
 * the announcement it left behind, while a live worker renews within one period and is admitted then. One protocol
 * constant for both sides, so the proxy can tell the renewal time from the remaining time.
 */

/** How long an announcement lasts without a renewal. */
export const ANNOUNCEMENT_TTL_MS = 10_000;

/** How often a worker renews its announcement: several renewals fit in one TTL, so a slow one does not lose it. */
export const ANNOUNCEMENT_RENEW_MS = 2_000;

/**
 * When an announcement was last renewed at the latest (epoch ms, this machine's clock), from its PTTL asked for at
 * `askedAt` (before the command was sent, so the answer is never taken for a later renewal than it was): null when it
 * has no expiry (written by hand, or by a worker from before heartbeats: taken as alive) or is gone (-2).
 */
export function lastRenewal(pttl: number, askedAt: number): number | null {
    if (pttl < 0) return null;
    return askedAt - (ANNOUNCEMENT_TTL_MS - pttl);
}
