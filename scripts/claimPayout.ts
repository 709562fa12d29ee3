import { NetworkProvider } from '@ton/blueprint';
import { Address } from '@ton/core';
import { Proxy } from '../wrappers/Proxy';
import { WorkerAccount } from '../wrappers/WorkerAccount';
import { WORKER_FEES } from '../wrappers/billingFees';
import { signBillingVoucher, voucherMessageBody, SignedVoucher } from '../worker-runtime/src/protocol/voucher';
import { ScriptArgs } from './lib/args';
import { PROXY_SEED_ARG, proxyKeys } from './lib/proxyKey';
import { SEND_ARGS, submit } from './lib/send';
import { EXPIRY_ARGS, voucherValidUntil } from './lib/voucherExpiry';

/**
 * Claims a worker's payout: submits the payout voucher of --proxy to the WorkerAccount of --owner (default: the
 * sender), deploying it on the first claim. The voucher is given as --voucher <base64 BoC> --signature <hex>, or
 * signed here (operators and tests) with --seed (or CHRYSALIS_PROXY_SEED), --cumulative <units> and optional
 * --valid-for <seconds, default 600> or --valid-until <unix time>.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        proxy: { describe: 'Proxy address' },
        owner: { describe: 'Worker owner address (default: the sender)', optional: true },
        voucher: { describe: 'Payout voucher (base64 BoC)', optional: true },
        signature: { describe: 'Voucher signature (hex)', optional: true },
        cumulative: { describe: 'Cumulative payout (billing units), to sign the voucher here', optional: true },
        ...PROXY_SEED_ARG,
        ...EXPIRY_ARGS,
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const proxy = provider.open(Proxy.fromAddress(await args.address('proxy')));
    const owner = args.has('owner') ? await args.address('owner') : provider.sender().address!;
    // Every argument is read before the chain, so that a typo fails before any network round trip.
    const voucherFor = await payoutVoucher(args);
    const wa = await WorkerAccount.fromInit(proxy.address, owner, (await proxy.getProxyData()).publicKey, 0n);
    const deployed = await provider.isContractDeployed(wa.address);
    await submit(provider, args, 'payout claim', {
        to: wa.address,
        value: WORKER_FEES.payout,
        body: voucherMessageBody(voucherFor(wa.address)),
        init: deployed ? undefined : wa.init!,
    });
    provider.ui().write(`WorkerAccount ${wa.address.toString()}`);
    return wa.address;
}

/** The voucher for a WorkerAccount: given (--voucher, --signature), or signed here (--cumulative, --seed, expiry). */
async function payoutVoucher(args: ScriptArgs): Promise<(target: Address) => SignedVoucher> {
    if (args.has('voucher')) {
        const given = { voucher: await args.cell('voucher'), signature: await args.bytes('signature', 64) };
        return () => given;
    }
    const cumulative = await args.uint('cumulative');
    const validUntil = await voucherValidUntil(args);
    const { secretKey } = await proxyKeys(args);
    return (target) => signBillingVoucher('payout', { target, cumulative, validUntil }, secretKey);
}
