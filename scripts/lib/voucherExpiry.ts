import { ScriptArgs } from './args';

/** Seconds a voucher signed by a script stays valid unless told otherwise: long enough to confirm a wallet prompt. */
export const DEFAULT_VALID_FOR = 600;

/** A voucher's expiry (unix time): --valid-until, else now + --valid-for seconds. */
export async function voucherValidUntil(args: ScriptArgs): Promise<number> {
    if (args.has('valid-until')) return Number(await args.uint('valid-until', 'Valid until (unix time)'));
    const validFor = args.has('valid-for')
        ? Number(await args.uint('valid-for', 'Valid for (seconds)'))
        : DEFAULT_VALID_FOR;
    return Math.floor(Date.now() / 1000) + validFor;
}
