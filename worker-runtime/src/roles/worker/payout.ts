import { Address, Cell } from '@ton/core';
import type { Redis } from 'ioredis';
import { workerAccountFor } from '../../../../wrappers/WorkerAccount';
import { Chain, ProxyEntry, Wallet } from '../../chain';
import { RedisKeys, StoredPayoutVoucher } from '../../protocol/keys';
import { verifyVoucher, VoucherOp } from '../../protocol/voucher';
import type { TransportFor } from './proxyTransports';

type WorkerAccountInit = Awaited<ReturnType<typeof workerAccountFor>>;

export type PayoutClaimOutcome = (
    | { claimed: true; cumulative: bigint; paidBefore: bigint }
    | { claimed: false; reason: string; cumulative?: bigint; paidBefore?: bigint }
) & {
    /** The valid voucher with the highest total among those seen (what the worker keeps on its disk). */
    best?: StoredPayoutVoucher;
};

export interface PayoutClaimParams {
    chain: Chain;
    redis: Redis;
    prefix: string;
    workerKey: string;
    /** The operator's wallet address: owner of the WorkerStake, payee of the WorkerAccount. */
    owner: Address;
    /** Proxies the registry lists (a voucher counts only if one of their keys signed it). */
    proxies: ProxyEntry[];
    /**
     * How each proxy is asked (proxyTransports.ts: RA-TLS, as clients reach it); without it the proxies are not asked
     * and only the stored and kept vouchers count.
     */
    transport?: TransportFor;
    /** Pays the message's gas; any wallet will do (the Proxy pays the owner, not the sender). */
    wallet: Wallet;
    /** Billing units above what the WorkerAccount has been paid before a claim is worth its gas. */
    threshold: bigint;
    /** nanoTON attached to PayoutSigned. */
    value: bigint;
    /** How long to wait for a proxy's `GET /v1/payouts/:workerKey` (default 2000 ms; 0 = only the stored voucher). */
    askTimeoutMs?: number;
    /** The voucher the worker kept on its own disk (JSON StoredPayoutVoucher), if any: it survives Redis. */
    kept?: string | null;
}

/** A payout voucher read back from its JSON form (stored in Redis or answered by a proxy). */
interface Candidate {
    voucher: Cell;
    signature: Buffer;
}

function parseStored(raw: string): Candidate | null {
    try {
        const stored = JSON.parse(raw) as StoredPayoutVoucher;
        return { voucher: Cell.fromBase64(stored.voucher), signature: Buffer.from(stored.signature, 'hex') };
    } catch {
        return null;
    }
}

/**
 * Asks each registered proxy for the worker's latest voucher: proxies sign payout vouchers on demand, so this one
 * covers everything served until now. An unreachable proxy or a bad answer only leaves the stored copy to use.
 */
async function askProxies(p: PayoutClaimParams): Promise<Candidate[]> {
    const timeout = p.askTimeoutMs ?? 2000;
    const transport = p.transport;
    if (timeout <= 0 || !transport) return [];
    const answers = await Promise.all(
        p.proxies
            .filter((proxy) => /^https?:\/\/[^/]+/.test(proxy.endpoint))
            .map(async (proxy) => {
                try {
                    const res = await transport(proxy).send({
                        method: 'GET',
                        path: `/v1/payouts/${p.workerKey}`,
                        timeoutMs: timeout,
                    });
                    return res.ok ? parseStored(await res.text()) : null;
                } catch {
                    return null;
                }
            }),
    );
    return answers.filter((c): c is Candidate => c !== null);
}

/**
 * Claims the worker's latest payout voucher when it is worth it: the freshest one a proxy signs when asked, or else
 * the copy the proxy last stored in Redis (it flushes them periodically), or the one the worker kept on its disk
 * (after Redis lost its data, the proxy's new vouchers may start lower until it recovers). Every voucher is checked as
 * the contracts will check it — proxy signature, payout op, the WorkerAccount of (proxy, owner, proxy key) as
 * target, not expired — so the worker never pays gas for a message that would bounce. Vouchers are cumulative, so
 * claiming the latest one covers every earlier one, and a replay changes nothing.
 */
export async function claimPayoutIfDue(p: PayoutClaimParams): Promise<PayoutClaimOutcome> {
    const [raw, asked] = await Promise.all([p.redis.get(RedisKeys.payout(p.prefix, p.workerKey)), askProxies(p)]);
    const stored = raw === null ? null : parseStored(raw);
    const kept = p.kept ? parseStored(p.kept) : null;
    if (raw !== null && !stored && !asked.length && !kept) {
        return { claimed: false, reason: 'the stored payout voucher is malformed' };
    }
    const candidates = [...asked, ...(stored ? [stored] : []), ...(kept ? [kept] : [])];
    if (!candidates.length) return { claimed: false, reason: 'no payout voucher yet' };
    const now = await p.chain.now();
    // Cumulative vouchers: the valid one with the highest count covers all the others.
    let best: { v: NonNullable<ReturnType<typeof verifyVoucher>>; c: Candidate; account: WorkerAccountInit } | null =
        null;
    for (const proxy of p.proxies) {
        const proxyKey = Buffer.from(proxy.publicKey, 'hex');
        const account = await workerAccountFor(Address.parse(proxy.proxyAddress), p.owner, proxyKey);
        for (const c of candidates) {
            const v = verifyVoucher(c, proxyKey, { op: VoucherOp.payout, target: account.address, now });
            if (v && (!best || v.cumulative > best.v.cumulative)) best = { v, c, account };
        }
    }
    if (best) {
        const { v, account } = best;
        const { voucher, signature } = best.c;
        const kept: StoredPayoutVoucher = {
            voucher: voucher.toBoc().toString('base64'),
            signature: signature.toString('hex'),
            cumulative: v.cumulative.toString(),
            target: account.address.toString(),
        };
        const opened = p.chain.open(account);
        const deployed = (await p.chain.provider(account.address).getState()).state.type === 'active';
        const paidBefore = deployed ? (await opened.getWorkerData()).paid : 0n;
        if (v.cumulative - paidBefore < p.threshold) {
            return {
                claimed: false,
                reason: 'below the claim threshold',
                cumulative: v.cumulative,
                paidBefore,
                best: kept,
            };
        }
        // The first claim deploys the WorkerAccount: the opened contract carries its StateInit.
        await opened.send(p.wallet.sender, { value: p.value }, { $$type: 'PayoutSigned', signature, voucher });
        return { claimed: true, cumulative: v.cumulative, paidBefore, best: kept };
    }
    return {
        claimed: false,
        reason: 'the payout voucher is not a valid, unexpired payout for this owner from a registered proxy',
    };
}
