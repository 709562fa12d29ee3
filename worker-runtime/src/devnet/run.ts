/**
 * One devnet run: start the network, stream requests from the demo client, settle on chain (the client's charge
 * voucher, each operator's payout voucher), and check that the money adds up — both the TON (Σ Δbalance + fees = 0)
 * and the billing counters (charged units = paid units = tokens the client was metered for).
 */
import { RedisKeys, StoredPayoutVoucher } from '../protocol/keys';
import { devnetParties } from './deployNetwork';
import { BalanceLedger, LedgerReport } from './ledger';
import { Devnet, startDevnet, StartDevnetOptions } from './orchestrator';
import { SettlementLog, SettlementRecord } from './settlementLog';
import { runRequestStream, StreamProgress, StreamResult } from './stream';

export interface DevnetRunOptions extends StartDevnetOptions {
    requests: number;
    concurrency?: number;
    onProgress?: (p: StreamProgress) => void;
    onSettlement?: (s: SettlementRecord) => void;
}

export interface BillingCheck {
    what: string;
    expected: string;
    actual: string;
    ok: boolean;
}

export interface DevnetRunResult {
    stream: StreamResult;
    settlements: SettlementRecord[];
    ledger: LedgerReport;
    billing: BillingCheck[];
    reconciled: boolean;
    startMs: number;
}

/** Runs the stream and the settlement on a started devnet (the caller stops it). */
export async function runOnDevnet(devnet: Devnet, options: DevnetRunOptions, startMs = 0): Promise<DevnetRunResult> {
    const { network, client } = devnet;
    const ledger = await BalanceLedger.open(network.chain, devnetParties(network));
    const log = await SettlementLog.open(network);
    const report = async () => {
        for (const s of await log.poll()) options.onSettlement?.(s);
    };
    const stream = await runRequestStream(network, client, {
        requests: options.requests,
        concurrency: options.concurrency ?? 8,
        onProgress: (p) => {
            options.onProgress?.(p);
            void report();
        },
    });
    await report();

    // Final settlement: whatever the client has not committed yet, and each operator's latest payout voucher.
    await client.commitVoucher();
    // The proxy signs payout vouchers lazily: store the latest of every worker that served before reading them.
    await devnet.proxy.flushPayouts();
    for (const operator of network.workers) {
        const roles = devnet.workers.filter((w) => w.operator === operator.index);
        // Vouchers are cumulative per operator: claim the highest one (the others are then below the threshold).
        const withCumulative = await Promise.all(
            roles.map(async (w) => ({ w, cumulative: await storedPayout(devnet, w.role.workerKey) })),
        );
        withCumulative.sort((a, b) => (a.cumulative > b.cumulative ? -1 : a.cumulative < b.cumulative ? 1 : 0));
        for (const { w, cumulative } of withCumulative) if (cumulative > 0n) await w.role.claimPayout();
    }
    await report();

    const billing = await billingChecks(devnet, stream);
    const balances = await ledger.close();
    const reconciled =
        balances.reconciled && billing.every((c) => c.ok) && log.records.every((s) => s.success) && stream.failed === 0;
    return { stream, settlements: log.records, ledger: balances, billing, reconciled, startMs };
}

/** Starts a devnet, runs it, stops it. */
export async function runDevnet(options: DevnetRunOptions): Promise<DevnetRunResult> {
    const t0 = Date.now();
    const devnet = await startDevnet(options);
    try {
        return await runOnDevnet(devnet, options, Date.now() - t0);
    } finally {
        await devnet.stop();
    }
}

async function storedPayout(devnet: Devnet, workerKey: string): Promise<bigint> {
    const raw = await devnet.redisClient.get(RedisKeys.payout(devnet.prefix, workerKey));
    if (raw === null) return 0n;
    return BigInt((JSON.parse(raw) as StoredPayoutVoucher).cumulative);
}

async function billingChecks(devnet: Devnet, stream: StreamResult): Promise<BillingCheck[]> {
    const { network } = devnet;
    const account = await network.client.account.getAccountData();
    const proxy = await network.proxy.contract.getProxyData();
    const tokens = BigInt(stream.tokens);
    const check = (what: string, expected: bigint, actual: bigint): BillingCheck => ({
        what,
        expected: expected.toString(),
        actual: actual.toString(),
        ok: expected === actual,
    });
    const checks = [
        // The devnet's params weigh every token kind 1× (10000 bps), so billing units equal metered tokens.
        check('client account: charged units = tokens metered', tokens, account.charged),
        check('proxy: charged units = client charges', account.charged, proxy.chargedUnits),
        check('proxy: paid units = tokens served', tokens, proxy.paidUnits),
    ];
    for (const w of network.workers) {
        const deployed = (await network.chain.blockchain.getContract(w.payoutAccount.address)).accountState?.type;
        const paid = deployed === 'active' ? (await w.payoutAccount.getWorkerData()).paid : 0n;
        checks.push(
            check(
                `worker ${w.index}: paid units = tokens it served`,
                BigInt(stream.tokensByOperator[w.index] ?? 0),
                paid,
            ),
        );
    }
    return checks;
}
