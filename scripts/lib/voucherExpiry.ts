import { ArgSpec, ScriptArgs } from './args';

/** Seconds a voucher signed by a script stays valid unless told otherwise: long enough to confirm a wallet prompt. */
export const DEFAULT_VALID_FOR = 600;

export const EXPIRY_ARGS: ArgSpec = {
    'valid-for': { describe: `seconds the voucher stays valid (default ${DEFAULT_VALID_FOR})`, optional: true },
    'valid-until': { describe: 'unix time the voucher expires', optional: true },
};

/** A voucher's expiry (unix time): --valid-until, else now + --valid-for seconds. */
export async function voucherValidUntil(args: ScriptArgs): Promise<number> {
    if (args.has('valid-until')) return Number(await args.uint('valid-until'));
    const validFor = args.has('valid-for') ? Number(await args.uint('valid-for')) : DEFAULT_VALID_FOR;
    return Math.floor(Date.now() / 1000) + validFor;
}
