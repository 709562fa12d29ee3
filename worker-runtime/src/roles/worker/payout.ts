import { Address, Cell } from '@ton/core';
import type { Redis } from 'ioredis';
import { workerAccountFor } from '../../../../wrappers/WorkerAccount';
import { Chain, ProxyEntry, Wallet } from '../../chain';
import { RedisKeys, StoredPayoutVoucher } from '../../protocol/keys';
import { verifyVoucher, VoucherOp } from '../../protocol/voucher';

export type PayoutClaimOutcome =
    | { claimed: true; cumulative: bigint; paidBefore: bigint }
    | { claimed: false; reason: string; cumulative?: bigint; paidBefore?: bigint };

export interface PayoutClaimParams {
    chain: Chain;
    redis: Redis;
    prefix: string;
    workerKey: string;
    /** The operator's wallet address: owner of the WorkerStake, payee of the WorkerAccount. */
    owner: Address;
    /** Proxies the registry lists (a voucher counts only if one of their keys signed it). */
    proxies: ProxyEntry[];
    /** Pays the message's gas; any wallet will do (the Proxy pays the owner, not the sender). */
    wallet: Wallet;
    /** Billing units above what the WorkerAccount has been paid before a claim is worth its gas. */
    threshold: bigint;
    /** nanoTON attached to PayoutSigned. */
    value: bigint;
}

/**
 * Claims the worker's latest payout voucher when it is worth it. The voucher (written by the proxy) is checked as
 * the contracts will check it — proxy signature, payout op, the WorkerAccount of (proxy, owner, proxy key) as
 * target, not expired — so the worker never pays gas for a message that would bounce. Vouchers are cumulative, so
 * claiming the latest one covers every earlier one, and a replay changes nothing.
 */
export async function claimPayoutIfDue(p: PayoutClaimParams): Promise<PayoutClaimOutcome> {
    const raw = await p.redis.get(RedisKeys.payout(p.prefix, p.workerKey));
    if (raw === null) return { claimed: false, reason: 'no payout voucher yet' };
    let stored: StoredPayoutVoucher;
    let voucher: Cell;
    let signature: Buffer;
    try {
        stored = JSON.parse(raw) as StoredPayoutVoucher;
        voucher = Cell.fromBase64(stored.voucher);
        signature = Buffer.from(stored.signature, 'hex');
    } catch {
        return { claimed: false, reason: 'the stored payout voucher is malformed' };
    }
    const now = await p.chain.now();
    for (const proxy of p.proxies) {
        const proxyKey = Buffer.from(proxy.publicKey, 'hex');
        const account = await workerAccountFor(Address.parse(proxy.proxyAddress), p.owner, proxyKey);
        const v = verifyVoucher({ voucher, signature }, proxyKey, {
            op: VoucherOp.payout,
            target: account.address,
            now,
        });
        if (!v) continue;
        const opened = p.chain.open(account);
        const deployed = (await p.chain.provider(account.address).getState()).state.type === 'active';
        const paidBefore = deployed ? (await opened.getWorkerData()).paid : 0n;
        if (v.cumulative - paidBefore < p.threshold) {
            return { claimed: false, reason: 'below the claim threshold', cumulative: v.cumulative, paidBefore };
        }
        // The first claim deploys the WorkerAccount: the opened contract carries its StateInit.
        await opened.send(p.wallet.sender, { value: p.value }, { $$type: 'PayoutSigned', signature, voucher });
        return { claimed: true, cumulative: v.cumulative, paidBefore };
    }
    return {
        claimed: false,
        reason: 'the payout voucher is not a valid, unexpired payout for this owner from a registered proxy',
    };
}
