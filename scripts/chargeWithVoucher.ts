import { NetworkProvider } from '@ton/blueprint';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { signBillingVoucher, voucherMessageBody } from '../worker-runtime/src/protocol/voucher';
import { ScriptArgs, ScriptArgsError } from './lib/args';
import { PROXY_SEED_ARG, proxyKeys } from './lib/proxyKey';
import { SEND_ARGS, submit } from './lib/send';
import { EXPIRY_ARGS, voucherValidUntil } from './lib/voucherExpiry';

/**
 * Signs (with the proxy key) and submits a cumulative charge voucher to --account — or, with --kind refund, the final
 * refund voucher: --account, --cumulative <billing units>, --seed (or CHRYSALIS_PROXY_SEED), optional --kind
 * charge|refund, --valid-for <seconds, default 600> or --valid-until <unix time>.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        account: { describe: 'ClientAccount address' },
        cumulative: { describe: 'Cumulative charge (billing units)' },
        kind: { describe: 'Voucher kind: charge (default) or refund', optional: true },
        ...PROXY_SEED_ARG,
        ...EXPIRY_ARGS,
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const kind = args.has('kind') ? await args.string('kind') : 'charge';
    if (kind !== 'charge' && kind !== 'refund')
        throw new ScriptArgsError(`--kind: expected charge or refund, got ${kind}`);
    const target = await args.address('account');
    const cumulative = await args.uint('cumulative');
    const validUntil = await voucherValidUntil(args);
    const signed = signBillingVoucher(kind, { target, cumulative, validUntil }, (await proxyKeys(args)).secretKey);
    await submit(provider, args, `${kind} voucher`, {
        to: target,
        value: kind === 'refund' ? CLIENT_FEES.close : CLIENT_FEES.charge,
        body: voucherMessageBody(signed),
    });
}
