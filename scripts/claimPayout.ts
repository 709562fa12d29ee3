import { NetworkProvider } from '@ton/blueprint';
import { Address } from '@ton/core';
import { Proxy } from '../wrappers/Proxy';
import { WorkerAccount } from '../wrappers/WorkerAccount';
import { WORKER_FEES } from '../wrappers/billingFees';
import { signBillingVoucher, voucherMessageBody, SignedVoucher } from '../worker-runtime/src/protocol/voucher';
import { ScriptArgs } from './lib/args';
import { proxyKeys } from './lib/proxyKey';
import { voucherValidUntil } from './lib/voucherExpiry';

/**
 * Claims a worker's payout: submits the payout voucher of --proxy to the WorkerAccount of --owner (default: the
 * sender), deploying it on the first claim. The voucher is given as --voucher <base64 BoC> --signature <hex>, or
 * signed here (operators and tests) with --seed (or CHRYSALIS_PROXY_SEED), --cumulative <units> and optional
 * --valid-for <seconds, default 600> or --valid-until <unix time>.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const proxy = provider.open(Proxy.fromAddress(await args.address('proxy', 'Proxy address')));
    const owner = args.has('owner') ? await args.address('owner', 'Worker owner address') : provider.sender().address!;
    // Every argument is read before the chain, so that a typo fails before any network round trip.
    const voucherFor = await payoutVoucher(args);
    const wa = await WorkerAccount.fromInit(proxy.address, owner, (await proxy.getProxyData()).publicKey, 0n);
    const signed = voucherFor(wa.address);
    const deployed = await provider.isContractDeployed(wa.address);
    await provider.sender().send({
        to: wa.address,
        value: WORKER_FEES.payout,
        body: voucherMessageBody(signed),
        init: deployed ? undefined : wa.init,
    });
    provider.ui().write(`Payout claimed through ${wa.address.toString()}`);
    return wa.address;
}

/** The voucher for a WorkerAccount: given (--voucher, --signature), or signed here (--cumulative, --seed, expiry). */
async function payoutVoucher(args: ScriptArgs): Promise<(target: Address) => SignedVoucher> {
    if (args.has('voucher')) {
        const given = {
            voucher: await args.cell('voucher', 'Payout voucher (base64 BoC)'),
            signature: await args.bytes('signature', 'Voucher signature (hex)', 64),
        };
        return () => given;
    }
    const cumulative = await args.uint('cumulative', 'Cumulative payout (billing units)');
    const validUntil = await voucherValidUntil(args);
    const { secretKey } = await proxyKeys(args);
    return (target) => signBillingVoucher('payout', { target, cumulative, validUntil }, secretKey);
}
