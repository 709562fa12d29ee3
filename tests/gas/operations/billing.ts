/**
 * Billing operations for the gas report (issue 3). Each operation runs on a fresh sandbox network and is measured over
 * its whole chain of billing-contract transactions (wallet transactions excluded).
 */
import { Address, toNano, Transaction } from '@ton/core';
import { SendMessageResult } from '@ton/sandbox';
import {
    billingConstant,
    createBillingNetwork,
    DAY,
    gasOf,
    lastProxyDeploy,
    openClient,
    payout,
    sendVoucher,
} from '../../fixtures/billing';
import { signStateCommit } from '../../../worker-runtime/src/protocol/voucher';

export interface OperationGas {
    /** Compute gas summed over every billing-contract transaction of the chain. */
    gas: number;
    /** Total fees of those transactions in nanoTON (compute, storage, forward fees of the messages they sent). */
    fees: number;
    txs: { contract: string; gas: number }[];
}

/** The reference network's figures (summed over each operation's chain), where it has one. */
export const BILLING_REFERENCE_GAS: Record<string, number> = {
    'client.charge': 11549,
    'worker.payout': 17982,
    'client.topUp': 17869,
    'client.increaseStake': 9293,
    'client.grantRefund': 22794,
    'client.forceRefund': 20577,
    'client.withdraw': 20522,
    'proxy.close': 8002,
};

/** Hard budget: 1.25x the reference; target 1.0x. */
export const BILLING_BUDGET_FACTOR = 1.25;

function fwdFees(tx: Transaction): bigint {
    const d = tx.description;
    if (d.type !== 'generic' || !d.actionPhase) return 0n;
    return d.actionPhase.totalFwdFees ?? 0n;
}

/** Measures the transactions of `result` that ran on one of `contracts` (labelled by name). */
export function measure(result: SendMessageResult, contracts: Record<string, Address>): OperationGas {
    const txs: { contract: string; gas: number }[] = [];
    let fees = 0n;
    for (const tx of result.transactions) {
        const dest = tx.inMessage?.info.dest;
        if (!dest || !Address.isAddress(dest)) continue;
        const name = Object.keys(contracts).find((k) => contracts[k].equals(dest));
        if (!name) continue;
        txs.push({ contract: name, gas: Number(gasOf(tx)) });
        fees += tx.totalFees.coins + fwdFees(tx);
    }
    return { gas: txs.reduce((a, t) => a + t.gas, 0), fees: Number(fees), txs };
}

/** Runs every billing operation once and returns its gas, keyed by operation name. */
export async function measureBillingOperations(): Promise<Record<string, OperationGas>> {
    const out: Record<string, OperationGas> = {};
    const net = await createBillingNetwork();
    const { blockchain, main } = net;
    const proxy = main.proxy.address;
    const client = await blockchain.treasury('gas-client');
    const opened = await openClient(blockchain, main, client, toNano('1'), toNano('5'));
    const account = opened.account;
    const c = { proxy, clientAccount: account.address };
    out['client.open'] = measure(opened.result, c);
    out['client.topUp'] = measure(
        await account.send(client.getSender(), { value: toNano('1') }, { $$type: 'TopUp', queryId: 0n }),
        c,
    );
    out['client.increaseStake'] = measure(
        await account.send(
            client.getSender(),
            { value: toNano('0.05') },
            { $$type: 'IncreaseStake', queryId: 0n, amount: toNano('1') },
        ),
        c,
    );
    // The first charge of an account and the later ones cost the same; measure a later one.
    await sendVoucher(blockchain, main.owner, 'charge', account.address, 100n, main.keys.secretKey);
    out['client.charge'] = measure(
        await sendVoucher(blockchain, main.owner, 'charge', account.address, 1100n, main.keys.secretKey),
        c,
    );
    out['client.withdraw'] = measure(
        await account.send(
            client.getSender(),
            { value: toNano('0.05') },
            { $$type: 'Withdraw', queryId: 0n, amount: toNano('1') },
        ),
        c,
    );
    // A state commitment (the runtime sends one on a timer): signature check, config rewrite, event, excess back.
    out['proxy.commitState'] = measure(
        await main.owner.send({
            to: proxy,
            value: toNano('0.05'),
            body: signStateCommit({ proxy, seqno: 1n, digest: 1n }, main.keys.secretKey).body,
        }),
        { proxy },
    );
    const worker = await blockchain.treasury('gas-worker');
    await payout(blockchain, main, worker, 100n);
    const wa = (await main.proxy.getWorkerAccountAddress(worker.address)) as Address;
    out['worker.payout'] = measure(await payout(blockchain, main, worker, 1100n), { proxy, workerAccount: wa });
    out['client.grantRefund'] = measure(
        await sendVoucher(blockchain, main.owner, 'refund', account.address, 1200n, main.keys.secretKey, {
            value: billingConstant('CLIENT_CLOSE_FEE'),
        }),
        c,
    );
    // Forced refund: a second client asks, the proxy stays silent, the client forces after the delay.
    const c2 = await blockchain.treasury('gas-client-2');
    const o2 = await openClient(blockchain, main, c2, toNano('1'), toNano('5'));
    const c2map = { proxy, clientAccount: o2.account.address };
    out['client.requestRefund'] = measure(
        await o2.account.send(c2.getSender(), { value: toNano('0.05') }, { $$type: 'RequestRefund', queryId: 0n }),
        c2map,
    );
    blockchain.now! += DAY;
    out['client.forceRefund'] = measure(
        await o2.account.send(
            c2.getSender(),
            { value: billingConstant('CLIENT_CLOSE_FEE') },
            { $$type: 'ForceRefund', queryId: 0n },
        ),
        c2map,
    );
    await main.proxy.send(
        main.owner.getSender(),
        { value: toNano('0.05') },
        { $$type: 'RequestProxyClose', queryId: 0n },
    );
    blockchain.now! += 7 * DAY;
    await payout(blockchain, main, worker, 1200n);
    out['proxy.close'] = measure(
        await main.proxy.send(
            main.owner.getSender(),
            { value: toNano('0.05') },
            { $$type: 'CompleteProxyClose', queryId: 0n },
        ),
        { proxy },
    );
    // Deploy: a fresh proxy's activation (its first message, which deploys it).
    const fresh = await net.deployProxy('gas-fresh');
    out['proxy.deploy'] = measure(lastProxyDeploy!, { proxy: fresh.proxy.address });
    return out;
}
