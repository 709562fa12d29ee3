export * from '../build/ClientAccount/ClientAccount_ClientAccount';

/** ClientAccount states as stored on chain. */
export const ClientState = { new: 0n, active: 1n, closing: 2n, closed: 3n } as const;

/**
 * How far before the chain's time a client dates its OpenClientAccount (`opening`): the Proxy takes an opening in
 * [now - OPENING_WINDOW, now] by its own clock, which may lag the time the client read by a few seconds.
 */
export const OPENING_MARGIN_SECONDS = 30;

/** The `opening` to send with an OpenClientAccount when the chain's time is `chainNow` (unix seconds). */
export function openingAt(chainNow: number | bigint): bigint {
    const t = BigInt(chainNow) - BigInt(OPENING_MARGIN_SECONDS);
    return t > 0n ? t : 0n;
}
