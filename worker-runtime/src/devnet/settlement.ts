/**
 * Settlement on the devnet chain: the client's latest charge voucher goes to its ClientAccount from its wallet, and
 * each worker operator's latest payout voucher to its WorkerAccount (deployed by the first claim). Returns the hash
 * of the transaction on the billing contract, which is what the devnet prints.
 */
import { Address, internal, SendMode, toNano } from '@ton/core';
import { SendMessageResult } from '@ton/sandbox';
import { parseVoucher, SignedVoucher, verifyVoucher, VoucherOp, voucherMessageBody } from '../protocol/voucher';
import { DevnetNetwork, DevnetWorker } from './deployNetwork';
import { requireSuccess, txHashHex } from './transactions';

/** Attached to a voucher message (contracts/billing FEES.md: ≥ 0.008 TON; the change comes back or stays with the proxy). */
export const SETTLEMENT_VALUE = toNano('0.05');

export interface Settlement {
    kind: 'charge' | 'payout';
    /** Who submitted it: `client` or `worker <i>`. */
    party: string;
    cumulative: bigint;
    contract: string;
    txHash: string;
}

/** Commits the client's charge voucher (cumulative billing units) on its ClientAccount. */
export async function commitCharge(net: DevnetNetwork, signed: SignedVoucher): Promise<Settlement> {
    const target = net.client.account.address;
    const voucher = checked(signed, net, VoucherOp.charge, target);
    const result = await net.client.wallet.sendTransfer({
        seqno: await net.client.wallet.getSeqno(),
        secretKey: net.client.keyPair.secretKey,
        sendMode: SendMode.PAY_GAS_SEPARATELY + SendMode.IGNORE_ERRORS,
        messages: [internal({ to: target, value: SETTLEMENT_VALUE, body: voucherMessageBody(signed) })],
    });
    return settled(result, target, 'charge', 'client', voucher.cumulative);
}

/** Claims a worker operator's payout voucher on its WorkerAccount (from the operator's wallet). */
export async function claimPayout(
    net: DevnetNetwork,
    worker: DevnetWorker,
    signed: SignedVoucher,
): Promise<Settlement> {
    const target = worker.payoutAccount.address;
    const voucher = checked(signed, net, VoucherOp.payout, target);
    const deployed = (await net.chain.blockchain.getContract(target)).accountState?.type === 'active';
    const result = await worker.owner.send({
        to: target,
        value: SETTLEMENT_VALUE,
        body: voucherMessageBody(signed),
        init: deployed ? undefined : worker.payoutAccountInit,
    });
    return settled(result, target, 'payout', `worker ${worker.index}`, voucher.cumulative);
}

function checked(signed: SignedVoucher, net: DevnetNetwork, op: number, target: Address) {
    const voucher = verifyVoucher(signed, net.proxy.keyPair.publicKey, { op, target });
    if (!voucher) {
        const got = parseVoucher(signed.voucher);
        throw new Error(
            `devnet: voucher for ${got.target.toString()} (op ${got.op}) is not a valid one for ${target.toString()}`,
        );
    }
    return voucher;
}

function settled(
    result: SendMessageResult,
    target: Address,
    kind: Settlement['kind'],
    party: string,
    cumulative: bigint,
): Settlement {
    requireSuccess(result, target, `${kind} settlement for ${party}`);
    const tx = result.transactions.find((t) => {
        const dest = t.inMessage?.info.dest;
        return dest instanceof Address && dest.equals(target);
    })!;
    return { kind, party, cumulative, contract: target.toString(), txHash: txHashHex(tx) };
}
