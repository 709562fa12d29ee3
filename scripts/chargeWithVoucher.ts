import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from '../wrappers/billingScriptArgs';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { signBillingVoucher, voucherMessageBody } from '../worker-runtime/src/protocol/voucher';

/**
 * Signs (with the proxy key) and submits a cumulative charge voucher — or, with kind=refund, the final refund voucher.
 * Args: account=<address> cumulative=<billing units> seed=<proxy key seed hex> [kind=charge|refund] [validFor=600 | validUntil=<unix time>]
 */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const kind = a.string('kind', 'charge');
    if (kind !== 'charge' && kind !== 'refund') throw new Error(`kind=${kind}: expected charge or refund`);
    const target = a.address('account');
    const validUntil = a.has('validUntil')
        ? Number(a.bigint('validUntil'))
        : Math.floor(Date.now() / 1000) + Number(a.bigint('validFor', '600'));
    const signed = signBillingVoucher(
        kind,
        { target, cumulative: a.bigint('cumulative'), validUntil },
        a.proxyKeys().secretKey,
    );
    await provider.sender().send({
        to: target,
        value: kind === 'refund' ? CLIENT_FEES.close : CLIENT_FEES.charge,
        body: voucherMessageBody(signed),
    });
    provider.ui().write(`${kind} voucher submitted to ${target.toString()}`);
}
