import { NetworkProvider } from '@ton/blueprint';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { signBillingVoucher, voucherMessageBody } from '../worker-runtime/src/protocol/voucher';
import { ScriptArgs } from './lib/args';
import { proxyKeys } from './lib/proxyKey';
import { voucherValidUntil } from './lib/voucherExpiry';

/**
 * Signs (with the proxy key) and submits a cumulative charge voucher to --account — or, with --kind refund, the final
 * refund voucher: --account, --cumulative <billing units>, --seed (or CHRYSALIS_PROXY_SEED), optional --kind
 * charge|refund, --valid-for <seconds, default 600> or --valid-until <unix time>.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const kind = args.has('kind') ? await args.string('kind', 'Voucher kind (charge or refund)') : 'charge';
    if (kind !== 'charge' && kind !== 'refund') throw new Error(`kind: expected charge or refund, got ${kind}`);
    const target = await args.address('account', 'ClientAccount address');
    const cumulative = await args.uint('cumulative', 'Cumulative charge (billing units)');
    const validUntil = await voucherValidUntil(args);
    const signed = signBillingVoucher(kind, { target, cumulative, validUntil }, (await proxyKeys(args)).secretKey);
    await provider.sender().send({
        to: target,
        value: kind === 'refund' ? CLIENT_FEES.close : CLIENT_FEES.charge,
        body: voucherMessageBody(signed),
    });
    provider.ui().write(`${kind} voucher submitted to ${target.toString()}`);
}
