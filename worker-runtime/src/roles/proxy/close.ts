/**
 * Closing a proxy without leaving a worker unpaid (issue 11, docs/billing.md "Closing a proxy"). Before the owner's
 * RequestProxyClose the runtime
 *   1. submits every client's latest charge voucher whose count is above the account's on-chain `charged` (the
 *      clients' outstanding charges reach the Proxy, so its stake does not pay for them),
 *   2. signs every worker's latest payout voucher valid through the claim window and stores it where the worker
 *      reads it (`GET /v1/payouts/:workerKey`, or the Redis copy),
 *   3. commits its counters (CommitState),
 * and only then requests the close. Workers then have until `closeAt` (at least MIN_PROXY_CLOSE_DELAY, enforced by the
 * contract) to claim.
 */
import { Address, toNano } from '@ton/core';
import { Chain, Wallet } from '../../chain';
import { StoredPayoutVoucher } from '../../protocol/keys';
import { ClientAccount, ClientState } from '../../../../wrappers/ClientAccount';
import { Proxy, ProxyState } from '../../../../wrappers/Proxy';
import { UsageCounters } from './counters';
import { PayoutVouchers } from './payouts';
import { voucherFromJson, VoucherSigner } from './vouchers';

/** Attached to each ChargeSigned the proxy submits (≥ CHARGE_FEE = 0.008; the change goes to the Proxy). */
export const CLOSE_CHARGE_VALUE = toNano('0.01');
/** Attached to RequestProxyClose (its compute is small; the rest stays in the Proxy and returns at the close). */
export const REQUEST_CLOSE_VALUE = toNano('0.02');
/** Payout vouchers signed for a close stay valid this long after the claim window ends. */
export const CLOSE_VOUCHER_MARGIN_SECONDS = 86400;

export interface CloseDeps {
    chain: Chain;
    /** The Proxy owner's wallet: it submits the charges and requests the close. */
    wallet: Wallet;
    proxyAddress: Address;
    counters: UsageCounters;
    signer: VoucherSigner;
    payouts: PayoutVouchers;
    /** Commits the counters on chain (the role's serialised commit). */
    commit(): Promise<unknown>;
    /** How long to wait for each submitted message to land (real networks); default 120 s. */
    landTimeoutMs?: number;
    pollMs?: number;
}

export interface CloseOutcome {
    /** Charges submitted, by ClientAccount: the count now on chain. */
    charged: Map<string, bigint>;
    /** Payout vouchers published, by worker key. */
    payouts: Map<string, StoredPayoutVoucher>;
    /** When the Proxy may be closed: workers must claim before this (unix time). */
    closeAt: number;
}

/** The proxy cannot request its close (the chain refused a step, or a step did not land in time). */
export class ProxyCloseError extends Error {}

export async function settleAndRequestClose(d: CloseDeps): Promise<CloseOutcome> {
    const proxy = d.chain.open(Proxy.fromAddress(d.proxyAddress));
    const [data, params] = await Promise.all([proxy.getProxyData(), proxy.getNetworkParams()]);
    if (data.state !== ProxyState.active) {
        throw new ProxyCloseError(`the Proxy is not active (state ${data.state}): nothing to request`);
    }
    if (!data.owner.equals(d.wallet.address)) {
        throw new ProxyCloseError(`only the Proxy's owner (${data.owner.toString()}) can request its close`);
    }

    // 1. Every client's outstanding charges.
    const charged = new Map<string, bigint>();
    for (const [raw, tokens] of await d.counters.allClientTokens()) {
        const address = Address.parseRaw(raw);
        const account = d.chain.open(ClientAccount.fromAddress(address));
        const before = await account.getAccountData();
        const target = d.signer.units(tokens);
        const open = before.state === ClientState.active || before.state === ClientState.closing;
        if (!open || target <= before.charged) continue;
        const signed = voucherFromJson(d.signer.charge(address, tokens, await d.chain.now()));
        // Through the opened contract (not the bare sender): on the sandbox only that runs the message queue.
        await account.send(
            d.wallet.sender,
            { value: CLOSE_CHARGE_VALUE },
            { $$type: 'ChargeSigned', signature: signed.signature, voucher: signed.voucher },
        );
        await waitFor(d, `the charge of ${address.toString()}`, async () => {
            const now = await account.getAccountData();
            return now.charged >= target || (now.state !== ClientState.active && now.state !== ClientState.closing);
        });
        charged.set(raw, (await account.getAccountData()).charged);
    }

    // 2. Every worker's payout voucher, valid through the claim window and a margin.
    const closeAtEstimate = (await d.chain.now()) + Number(params.proxyCloseDelay);
    const payouts = await d.payouts.publishAll(closeAtEstimate + CLOSE_VOUCHER_MARGIN_SECONDS);

    // 3. The counters, then the close request.
    await d.commit();
    await proxy.send(d.wallet.sender, { value: REQUEST_CLOSE_VALUE }, { $$type: 'RequestProxyClose', queryId: 0n });
    await waitFor(d, 'the close request', async () => (await proxy.getProxyData()).state === ProxyState.closing);
    return { charged, payouts, closeAt: Number((await proxy.getProxyData()).closeAt) };
}

async function waitFor(d: CloseDeps, what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + (d.landTimeoutMs ?? 120_000);
    for (;;) {
        if (await done()) return;
        if (Date.now() > deadline) throw new ProxyCloseError(`${what} did not land on chain in time`);
        await new Promise((r) => setTimeout(r, d.pollMs ?? 1000));
    }
}
