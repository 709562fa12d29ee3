/**
 * One devnet run: start the network, stream requests from the demo client, settle on chain (the client's charge
 * voucher, each operator's payout voucher), and check that the money adds up — both the TON (Σ Δbalance + fees = 0)
 * and the billing counters (charged units = paid units = tokens the client was metered for).
 */
import type { ChrysalisClient } from '../client';
import { devnetParties } from './deployNetwork';
import { BalanceLedger, LedgerReport } from './ledger';
import { startDevnet, StartDevnetOptions } from './orchestrator';
import type { DevnetView } from './view';
import { SettlementLog, SettlementRecord } from './settlementLog';
import { runRequestStream, StreamOptions, StreamProgress, StreamResult } from './stream';
import { GenerativeDemoResult, runGenerativeDemo } from './generativeDemo';
import { billingUnits, TokenCounts } from '../protocol/voucher';
import { addCounts } from '../roles/proxy/generative/metering';
import { ZERO_COUNTS } from '../roles/proxy/counters';
import { balanceTable, progressLine, settlementLine, summaryText, toJson } from './report';

export interface DevnetRunOptions extends StartDevnetOptions {
    requests: number;
    concurrency?: number;
    onProgress?: (p: StreamProgress) => void;
    onSettlement?: (s: SettlementRecord) => void;
    /** Ride out a proxy that goes away for up to this long (stream.ts, recoverForMs). Default 0. */
    recoverForMs?: number;
}

export interface BillingCheck {
    what: string;
    expected: string;
    actual: string;
    ok: boolean;
}

/** What a run needs of a started devnet, whether its roles share this process or run as processes of their own. */
interface DevnetSessionBase {
    network: DevnetView;
    proxyUrl: string;
    /** After the requests: each operator's latest payout voucher claimed on chain (vouchers are cumulative). */
    settlePayouts(): Promise<void>;
    /**
     * The generative demo, when not the demo client's own (`--processes`: through the gateway process, charged to the
     * gateway's account, `network.gatewayClient`).
     */
    runGenerative?(): Promise<GenerativeDemoResult>;
    /** Before the payouts: whatever other clients used is committed (`--processes`: the gateway stops and commits). */
    settleClients?(): Promise<void>;
}

/** In-process: this process is the demo client; its SDK sends the tensor stream and commits the client's voucher. */
export interface SdkClientSession extends DevnetSessionBase {
    client: ChrysalisClient;
}

/**
 * `--processes`: the tensor stream is sent by a client process of its own (`chrysalis client infer --inputs`), and
 * `settleClients` commits what it used (`chrysalis client commit`) along with the other clients.
 */
export interface ClientProcessSession extends DevnetSessionBase {
    runStream(options: StreamOptions): Promise<StreamResult>;
    settleClients(): Promise<void>;
}

export type DevnetSession = SdkClientSession | ClientProcessSession;

export interface DevnetRunResult {
    stream: StreamResult;
    /** The generative demo (null when the network serves no generative model). */
    generative: GenerativeDemoResult | null;
    settlements: SettlementRecord[];
    ledger: LedgerReport;
    billing: BillingCheck[];
    reconciled: boolean;
    startMs: number;
}

/** Runs the stream and the settlement on a started devnet (the caller stops it). */
export async function runOnDevnet(
    devnet: DevnetSession,
    options: DevnetRunOptions,
    startMs = 0,
): Promise<DevnetRunResult> {
    const { network } = devnet;
    const ledger = await BalanceLedger.open(network.chain, devnetParties(network));
    const log = await SettlementLog.open(network);
    const report = async () => {
        for (const s of await log.poll()) options.onSettlement?.(s);
    };
    // The generative models, when the network serves any: a streamed chat, an embedding batch, a transcription.
    // First: the tensor requests' vouchers that follow are cumulative, so the client's last one covers these too.
    const generative = network.models.some((m) => m.package) ? await generativeDemo(devnet) : null;
    const streamOptions: StreamOptions = {
        requests: options.requests,
        concurrency: options.concurrency ?? 8,
        recoverForMs: options.recoverForMs,
        onProgress: (p) => {
            options.onProgress?.(p);
            // A poll that fails mid-run (the chain busy or going away) is retried at the next progress and at the end.
            void report().catch(() => undefined);
        },
    };
    let stream: StreamResult;
    if ('client' in devnet) {
        if (generative?.lastVoucher) devnet.client.resumeFrom(generative.lastVoucher);
        stream = await runRequestStream(network, devnet.client, streamOptions);
    } else stream = await devnet.runStream(streamOptions);
    await report();

    // Final settlement: whatever the clients have not committed yet, and each operator's latest payout voucher.
    if ('client' in devnet) await devnet.client.commitVoucher();
    await devnet.settleClients?.();
    await devnet.settlePayouts();
    await report();

    const billing = await billingChecks(devnet, stream, generative);
    const balances = await ledger.close();
    const reconciled =
        balances.reconciled &&
        billing.every((c) => c.ok) &&
        log.records.every((s) => s.success) &&
        stream.failed === 0 &&
        (generative?.failed ?? 0) === 0;
    return { stream, generative, settlements: log.records, ledger: balances, billing, reconciled, startMs };
}

/** The generative demo: the session's own (the gateway process), else sent by the in-process demo client. */
function generativeDemo(devnet: DevnetSession): Promise<GenerativeDemoResult> {
    if (devnet.runGenerative) return devnet.runGenerative();
    if ('client' in devnet) return runGenerativeDemo(devnet);
    throw new Error('devnet: generative models are served, but no client sends the generative demo (options.gateway)');
}

/**
 * `npm run devnet`'s run, in-process or as processes: progress and settlement lines, then the summary (or, with
 * `json`, the JSON object on stdout and the table through `say`). True when every request succeeded and it reconciles.
 */
export async function runAndReport(
    devnet: DevnetSession,
    options: { requests: number; concurrency: number; json: boolean },
    say: (line: string) => void,
    startMs: number,
): Promise<boolean> {
    const result = await runOnDevnet(
        devnet,
        {
            requests: options.requests,
            concurrency: options.concurrency,
            onProgress: (p) => say(progressLine(p)),
            onSettlement: (s) => say(settlementLine(s)),
        },
        startMs,
    );
    if (options.json) {
        console.log(JSON.stringify(toJson(result)));
        say(balanceTable(result.ledger));
    } else {
        say(summaryText(result));
    }
    return result.reconciled && result.stream.failed === 0;
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

async function billingChecks(
    devnet: DevnetSession,
    stream: StreamResult,
    generative: GenerativeDemoResult | null,
): Promise<BillingCheck[]> {
    const { network } = devnet;
    const account = await network.client.account.getAccountData();
    const proxy = await network.proxy.contract.getProxyData();
    // Units as the vouchers compute them: tensor tokens are prompt tokens; generative ones are billed by kind.
    const p = network.params;
    const multipliers = {
        prompt: p.promptMultiplierBps,
        cached: p.cachedMultiplierBps,
        completion: p.completionMultiplierBps,
        reasoning: p.reasoningMultiplierBps,
    };
    const units = (tensorTokens: number, counts?: TokenCounts) =>
        billingUnits(
            addCounts(
                { prompt: BigInt(tensorTokens), cached: 0n, completion: 0n, reasoning: 0n },
                counts ?? ZERO_COUNTS,
            ),
            multipliers,
        );
    const check = (what: string, expected: bigint, actual: bigint): BillingCheck => ({
        what,
        expected: expected.toString(),
        actual: actual.toString(),
        ok: expected === actual,
    });
    let checks: BillingCheck[];
    if (network.gatewayClient) {
        // Two accounts: the demo client's (the tensor stream) and the gateway's (the generative demo).
        const gateway = await network.gatewayClient.account.getAccountData();
        checks = [
            check('client account: charged units = units metered', units(stream.tokens), account.charged),
            check('gateway account: charged units = units metered', units(0, generative?.counts), gateway.charged),
            check('proxy: charged units = client charges', account.charged + gateway.charged, proxy.chargedUnits),
        ];
    } else {
        const tokens = units(stream.tokens, generative?.counts);
        checks = [
            check('client account: charged units = units metered', tokens, account.charged),
            check('proxy: charged units = client charges', account.charged, proxy.chargedUnits),
        ];
    }
    let paidExpected = 0n;
    for (const w of network.workers) {
        const deployed = (await network.chain.provider(w.payoutAccount.address).getState()).state.type === 'active';
        const paid = deployed ? (await w.payoutAccount.getWorkerData()).paid : 0n;
        const expected = units(stream.tokensByOperator[w.index] ?? 0, generative?.countsByOperator[w.index]);
        paidExpected += expected;
        checks.push(check(`worker ${w.index}: paid units = units it served`, expected, paid));
    }
    checks.push(check('proxy: paid units = units served', paidExpected, proxy.paidUnits));
    return checks;
}
