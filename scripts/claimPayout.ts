import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { WorkerAccount } from '../wrappers/WorkerAccount';
import { ScriptArgs } from '../wrappers/billingScriptArgs';
import { WORKER_FEES } from '../wrappers/billingFees';
import { signBillingVoucher, voucherMessageBody, SignedVoucher } from '../worker-runtime/src/protocol/voucher';

/**
 * Claims a worker's payout: submits the proxy's payout voucher to the WorkerAccount of `owner` (default: the sender),
 * deploying it on the first claim. The voucher is given as voucher=<base64 BoC> signature=<hex>, or signed here with
 * seed=<proxy key seed> and cumulative=<units> [validFor=600 | validUntil=<unix time>] (operators and tests).
 * Args: proxy=<address> [owner=<address>] (voucher=... signature=... | seed=... cumulative=...)
 */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const proxy = provider.open(Proxy.fromAddress(a.address('proxy')));
    const owner = a.has('owner') ? a.address('owner') : provider.sender().address!;
    const data = await proxy.getProxyData();
    const key = Buffer.from(data.publicKey.toString(16).padStart(64, '0'), 'hex');
    const wa = await WorkerAccount.fromInit(proxy.address, owner, BigInt('0x' + key.toString('hex')), 0n);
    let signed: SignedVoucher;
    if (a.has('voucher')) {
        signed = { voucher: a.cell('voucher'), signature: Buffer.from(a.string('signature'), 'hex') };
    } else {
        const validUntil = a.has('validUntil')
            ? Number(a.bigint('validUntil'))
            : Math.floor(Date.now() / 1000) + Number(a.bigint('validFor', '600'));
        signed = signBillingVoucher(
            'payout',
            { target: wa.address, cumulative: a.bigint('cumulative'), validUntil },
            a.proxyKeys().secretKey,
        );
    }
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
