/**
 * Conservation of funds across the billing contracts, checked with fast-check over random operation sequences
 * (top-ups, stakes, withdrawals, charges, replays, payouts, refunds, proxy closes, time jumps) on several clients,
 * workers and two proxies. After every step:
 *   1. TON in = TON out + TON held + fees: the sum of every party's and contract's balance only ever drops by the
 *      fees of the step's transactions (compute, storage, action and forward fees).
 *   2. No client is charged beyond its deposits (the TON that actually left an account as charges never exceeds what
 *      went into it), and what left equals what the Proxy booked (chargedTon).
 *   3. No worker is paid twice for the same tokens: each WorkerAccount's paid count is the largest voucher it
 *      accepted, the Proxy's paidUnits is their sum, and the TON the worker actually received from the Proxy (the
 *      payout message minus the forwarded change) is exactly paid * fee.
 *   4. The proxy's commission is price - fee over the charged tokens: chargedTon = chargedUnits * price, and the
 *      Proxy holds at least its stake + chargedTon - paidUnits * fee (less storage fees) until it closes.
 * `npm test` runs 50 sequences with a fixed seed; CHRYSALIS_LONG=1 (npm run test:long, which CI runs) runs 1,000 with
 * a random seed;
 * CHRYSALIS_PROPERTY_SEED=<seed> replays a reported failure.
 */
import '@ton/test-utils';
import fc from 'fast-check';
import { Address, toNano, Transaction } from '@ton/core';
import { Blockchain, BlockchainSnapshot, SandboxContract, SendMessageResult, TreasuryContract } from '@ton/sandbox';
import {
    billingConstant,
    createBillingNetwork,
    DAY,
    openClient,
    payout,
    ProxyHandle,
    sendVoucher,
    workerAccount,
} from '../../fixtures/billing';
import { ClientAccount, ClientState } from '../../../wrappers/ClientAccount';
import { WorkerAccount } from '../../../wrappers/WorkerAccount';

const LONG = process.env.CHRYSALIS_LONG === '1';
// Replays a failure that fast-check reported ("seed: …"), e.g. from a long run.
/** An account's data, or null once it has destroyed itself (a close after OPENING_WINDOW). */
async function accountData(blockchain: Blockchain, account: SandboxContract<ClientAccount>) {
    const state = (await blockchain.getContract(account.address)).accountState;
    return state?.type === 'active' ? account.getAccountData() : null;
}

const SEED = process.env.CHRYSALIS_PROPERTY_SEED ? Number(process.env.CHRYSALIS_PROPERTY_SEED) : undefined;
const RUNS = LONG ? 1000 : Number(process.env.PROP_RUNS ?? 50);

interface AccountRef {
    client: SandboxContract<TreasuryContract>;
    proxy: ProxyHandle;
    account: SandboxContract<ClientAccount>;
}

type Op =
    | { kind: 'topUp'; a: number; amount: bigint }
    | { kind: 'increaseStake'; a: number; amount: bigint }
    | { kind: 'withdraw'; a: number; fraction: number }
    | { kind: 'charge'; a: number; units: bigint }
    | { kind: 'replayCharge'; a: number }
    | { kind: 'payout'; w: number; p: number; units: bigint }
    | { kind: 'replayPayout'; w: number; p: number }
    | { kind: 'requestRefund'; a: number }
    | { kind: 'forceRefund'; a: number }
    | { kind: 'grantRefund'; a: number; units: bigint }
    | { kind: 'time'; seconds: number }
    | { kind: 'requestClose'; p: number }
    | { kind: 'completeClose'; p: number };

const ACCOUNTS = 4;
const WORKERS = 2;
const acc = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('topUp' as const), a: acc, amount: fc.bigInt(toNano('0.1'), toNano('3')) }),
    fc.record({ kind: fc.constant('increaseStake' as const), a: acc, amount: fc.bigInt(1n, toNano('1')) }),
    fc.record({
        kind: fc.constant('withdraw' as const),
        a: acc,
        fraction: fc.double({ min: 0, max: 1.2, noNaN: true }),
    }),
    fc.record({ kind: fc.constant('charge' as const), a: acc, units: fc.bigInt(1n, 200_000n) }),
    fc.record({ kind: fc.constant('charge' as const), a: acc, units: fc.bigInt(1n, 200_000n) }),
    fc.record({ kind: fc.constant('replayCharge' as const), a: acc }),
    fc.record({
        kind: fc.constant('payout' as const),
        w: fc.integer({ min: 0, max: WORKERS - 1 }),
        p: fc.integer({ min: 0, max: 1 }),
        units: fc.bigInt(1n, 200_000n),
    }),
    fc.record({
        kind: fc.constant('replayPayout' as const),
        w: fc.integer({ min: 0, max: WORKERS - 1 }),
        p: fc.integer({ min: 0, max: 1 }),
    }),
    fc.record({ kind: fc.constant('requestRefund' as const), a: acc }),
    fc.record({ kind: fc.constant('forceRefund' as const), a: acc }),
    fc.record({ kind: fc.constant('grantRefund' as const), a: acc, units: fc.bigInt(0n, 50_000n) }),
    fc.record({ kind: fc.constant('time' as const), seconds: fc.integer({ min: 1, max: 9 * DAY }) }),
    fc.record({ kind: fc.constant('requestClose' as const), p: fc.integer({ min: 0, max: 1 }) }),
    fc.record({ kind: fc.constant('completeClose' as const), p: fc.integer({ min: 0, max: 1 }) }),
);

/** Fees a step burned: every transaction's total fees plus the forward fees of the internal messages it sent. */
function feesOf(txs: Transaction[]): bigint {
    let fees = 0n;
    for (const tx of txs) {
        fees += tx.totalFees.coins;
        for (const m of tx.outMessages.values()) {
            if (m.info.type === 'internal') fees += m.info.forwardFee;
        }
    }
    return fees;
}

function succeeded(tx: Transaction): boolean {
    const d = tx.description;
    return d.type === 'generic' && d.computePhase.type === 'vm' && d.computePhase.success && !d.aborted;
}

function computeFees(tx: Transaction): bigint {
    const d = tx.description;
    return d.type === 'generic' && d.computePhase.type === 'vm' ? d.computePhase.gasFees : 0n;
}

/**
 * The whole forward fee of an internal message from the part its header carries: the sender's action phase keeps
 * floor(fee * 21845 / 65536) (first_frac of the basechain config) and the header holds the rest. Basechain forward
 * fees are lump 400,000 + 400 per bit + 40,000 per cell, so of the candidates the right one is a multiple of 400.
 */
function fullForwardFee(remaining: bigint): bigint {
    const guess = (remaining * 65536n) / 43691n;
    for (let f = guess - 3n; f <= guess + 3n; f++) {
        if (f - (f * 21845n) / 65536n === remaining && f % 400n === 0n) return f;
    }
    throw new Error(`no forward fee leaves ${remaining}`);
}

function opcodeOf(tx: Transaction): number | undefined {
    const body = tx.inMessage?.body.beginParse();
    return body && body.remainingBits >= 32 ? body.preloadUint(32) : undefined;
}

describe('billing conservation (property)', () => {
    let blockchain: Blockchain;
    let proxies: ProxyHandle[];
    let accounts: AccountRef[];
    let workers: SandboxContract<TreasuryContract>[];
    let submitter: SandboxContract<TreasuryContract>;
    let everyone: Address[];
    let snap: BlockchainSnapshot;
    let activationBalance: bigint[];
    let workerAccounts: SandboxContract<WorkerAccount>[][];
    const closeFee = billingConstant('CLIENT_CLOSE_FEE');
    // What a close notification carries at the current gas price (read from an account: it is computed on chain).
    let notifyValue: bigint;

    beforeAll(async () => {
        const net = await createBillingNetwork();
        blockchain = net.blockchain;
        const second = await net.deployProxy('second', { pricePerToken: 3000n, workerFeePerToken: 1000n });
        proxies = [net.main, second];
        accounts = [];
        for (let i = 0; i < ACCOUNTS; i++) {
            const client = await blockchain.treasury(`prop-client-${i % 3}`);
            const proxy = proxies[i === 3 ? 1 : 0];
            const { account } = await openClient(blockchain, proxy, client, toNano('1'), toNano('2'));
            accounts.push({ client, proxy, account });
        }
        notifyValue = await accounts[0].account.getCloseNotifyValue();
        workers = [];
        for (let j = 0; j < WORKERS; j++) workers.push(await blockchain.treasury(`prop-worker-${j}`));
        submitter = await blockchain.treasury('prop-submitter');
        workerAccounts = [];
        for (const w of workers) {
            const row: SandboxContract<WorkerAccount>[] = [];
            for (const p of proxies) row.push(await workerAccount(blockchain, p, w.address));
            workerAccounts.push(row);
        }
        everyone = [
            ...new Set(
                [
                    ...proxies.flatMap((p) => [p.proxy.address, p.owner.address]),
                    ...accounts.flatMap((a) => [a.client.address, a.account.address]),
                    ...workers.map((w) => w.address),
                    ...workerAccounts.flat().map((wa) => wa.address),
                    submitter.address,
                ].map((a) => a.toRawString()),
            ),
        ].map((s) => Address.parseRaw(s));
        activationBalance = [];
        for (const p of proxies) activationBalance.push((await blockchain.getContract(p.proxy.address)).balance);
        snap = blockchain.snapshot();
    });

    async function totalHeld(): Promise<bigint> {
        let sum = 0n;
        for (const a of everyone) sum += (await blockchain.getContract(a)).balance;
        return sum;
    }

    it(`holds over ${RUNS} random sequences`, async () => {
        await fc.assert(
            fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: LONG ? 14 : 6 }), async (ops) => {
                await blockchain.loadFrom(snap);
                const chargeCum = new Array<bigint>(ACCOUNTS).fill(0n);
                const deposits = accounts.map(() => toNano('3')); // what the opening put in (stake + balance + fee)
                const chargedFrom = new Array<bigint>(ACCOUNTS).fill(0n);
                // Units a client was charged for but could not pay in full (a charge beyond balance and stake takes
                // what there is), per proxy: read from the ChargeNotify / ClientClosed bodies {units, amount}.
                const shortfall = new Array<bigint>(proxies.length).fill(0n);
                const payoutCum = workers.map(() => [0n, 0n]);
                const acceptedPayout = workers.map(() => [0n, 0n]);
                const workerGot = workers.map(() => [0n, 0n]);
                const closed = [false, false];
                // A closed Proxy destroys itself; its counters are what they were when it closed.
                const lastData: (Awaited<ReturnType<ProxyHandle['proxy']['getProxyData']>> | undefined)[] = [];
                let held = await totalHeld();

                for (const op of ops) {
                    let r: SendMessageResult | undefined;
                    const v = toNano('0.05');
                    switch (op.kind) {
                        case 'topUp': {
                            const a = accounts[op.a];
                            deposits[op.a] += op.amount;
                            r = await a.account.send(
                                a.client.getSender(),
                                { value: op.amount },
                                { $$type: 'TopUp', queryId: 0n },
                            );
                            break;
                        }
                        case 'increaseStake': {
                            const a = accounts[op.a];
                            deposits[op.a] += v;
                            r = await a.account.send(
                                a.client.getSender(),
                                { value: v },
                                { $$type: 'IncreaseStake', queryId: 0n, amount: op.amount },
                            );
                            break;
                        }
                        case 'withdraw': {
                            const a = accounts[op.a];
                            const bal = (await accountData(blockchain, a.account))?.balance ?? 0n;
                            const amount = BigInt(Math.floor(Number(bal) * op.fraction));
                            deposits[op.a] += v;
                            r = await a.account.send(
                                a.client.getSender(),
                                { value: v },
                                { $$type: 'Withdraw', queryId: 0n, amount },
                            );
                            break;
                        }
                        case 'charge': {
                            const a = accounts[op.a];
                            chargeCum[op.a] += op.units;
                            r = await sendVoucher(
                                blockchain,
                                submitter,
                                'charge',
                                a.account.address,
                                chargeCum[op.a],
                                a.proxy.keys.secretKey,
                            );
                            break;
                        }
                        case 'replayCharge': {
                            const a = accounts[op.a];
                            r = await sendVoucher(
                                blockchain,
                                submitter,
                                'charge',
                                a.account.address,
                                chargeCum[op.a],
                                a.proxy.keys.secretKey,
                            );
                            break;
                        }
                        case 'payout': {
                            payoutCum[op.w][op.p] += op.units;
                            r = await payout(blockchain, proxies[op.p], workers[op.w], payoutCum[op.w][op.p], {
                                via: submitter,
                            });
                            break;
                        }
                        case 'replayPayout': {
                            r = await payout(blockchain, proxies[op.p], workers[op.w], payoutCum[op.w][op.p], {
                                via: submitter,
                            });
                            break;
                        }
                        case 'requestRefund': {
                            const a = accounts[op.a];
                            deposits[op.a] += v;
                            r = await a.account.send(
                                a.client.getSender(),
                                { value: v },
                                { $$type: 'RequestRefund', queryId: 0n },
                            );
                            break;
                        }
                        case 'forceRefund': {
                            const a = accounts[op.a];
                            const fee = closeFee;
                            deposits[op.a] += fee;
                            r = await a.account.send(
                                a.client.getSender(),
                                { value: fee },
                                { $$type: 'ForceRefund', queryId: 0n },
                            );
                            break;
                        }
                        case 'grantRefund': {
                            const a = accounts[op.a];
                            chargeCum[op.a] += op.units;
                            r = await sendVoucher(
                                blockchain,
                                submitter,
                                'refund',
                                a.account.address,
                                chargeCum[op.a],
                                a.proxy.keys.secretKey,
                            );
                            break;
                        }
                        case 'time':
                            blockchain.now! += op.seconds;
                            break;
                        case 'requestClose': {
                            const p = proxies[op.p];
                            r = await p.proxy.send(
                                p.owner.getSender(),
                                { value: v },
                                { $$type: 'RequestProxyClose', queryId: 0n },
                            );
                            break;
                        }
                        case 'completeClose': {
                            const p = proxies[op.p];
                            r = await p.proxy.send(
                                p.owner.getSender(),
                                { value: v },
                                { $$type: 'CompleteProxyClose', queryId: 0n },
                            );
                            break;
                        }
                    }

                    // 1. Conservation: balances drop by exactly the fees.
                    const fees = r ? feesOf(r.transactions) : 0n;
                    const now = await totalHeld();
                    expect(now).toBe(held - fees);
                    held = now;

                    // Ledger of this step, in TON actually moved (not the amounts the messages claim): what left each
                    // account as a charge, and what each worker received from a Proxy as payout.
                    const txs = r?.transactions ?? [];
                    for (const tx of txs) {
                        const op32 = opcodeOf(tx);
                        const src = tx.inMessage?.info.src as Address | undefined;
                        if (!succeeded(tx) || !src) continue;
                        const inValue = tx.inMessage!.info.type === 'internal' ? tx.inMessage!.info.value.coins : 0n;
                        if (op32 === 0x63680020 || op32 === 0x63680021) {
                            const body = tx.inMessage!.body.beginParse().skip(32);
                            const units = body.loadUintBig(64);
                            const amount = body.loadUintBig(64);
                            const p = proxies.findIndex((x) =>
                                x.proxy.address.equals(tx.inMessage!.info.dest as Address),
                            );
                            expect(amount).toBeLessThanOrEqual(units * proxies[p].params.pricePerToken);
                            shortfall[p] += units * proxies[p].params.pricePerToken - amount;
                        }
                        if (op32 === 0x63680020) {
                            // ChargeNotify = charge + the submitter's change (its value minus the account's compute and
                            // this message's forward fee, mode 64): subtract the change.
                            const parent = txs.find(
                                (t) =>
                                    opcodeOf(t) === 0x63680001 &&
                                    (t.inMessage?.info.dest as Address | undefined)?.equals(src),
                            );
                            const i = accounts.findIndex((a) => a.account.address.equals(src));
                            const info = tx.inMessage!.info as { value: { coins: bigint }; forwardFee: bigint };
                            const parentIn = parent!.inMessage!.info as { value: { coins: bigint } };
                            chargedFrom[i] +=
                                info.value.coins +
                                fullForwardFee(info.forwardFee) +
                                computeFees(parent!) -
                                parentIn.value.coins;
                        }
                        if (op32 === 0x63680021) {
                            // ClientClosed carries the final charge + PROXY_NOTIFY_VALUE (forward fee paid separately).
                            const i = accounts.findIndex((a) => a.account.address.equals(src));
                            chargedFrom[i] += inValue - notifyValue;
                        }
                        if (op32 === 0x63680023) {
                            // The Proxy sends payout + the request's change (mode 64): subtract the change.
                            const p = proxies.findIndex((x) =>
                                x.proxy.address.equals(tx.inMessage!.info.dest as Address),
                            );
                            for (const m of tx.outMessages.values()) {
                                if (m.info.type !== 'internal') continue;
                                const w = workers.findIndex((x) => x.address.equals(m.info.dest as Address));
                                workerGot[w][p] +=
                                    m.info.value.coins + fullForwardFee(m.info.forwardFee) + computeFees(tx) - inValue;
                            }
                        }
                    }
                    if (op.kind === 'completeClose') {
                        const c = await blockchain.getContract(proxies[op.p].proxy.address);
                        closed[op.p] = c.accountState === undefined;
                        if (closed[op.p]) expect(c.balance).toBe(0n);
                    }

                    // 2. No client charged beyond its deposits.
                    for (let i = 0; i < ACCOUNTS; i++) expect(chargedFrom[i]).toBeLessThanOrEqual(deposits[i]);

                    // 3. No worker paid twice; 4. commission.
                    for (let p = 0; p < proxies.length; p++) {
                        const d = closed[p] ? lastData[p]! : await proxies[p].proxy.getProxyData();
                        lastData[p] = d;
                        let paidSum = 0n;
                        for (let w = 0; w < WORKERS; w++) {
                            const wa = workerAccounts[w][p];
                            const deployed = (await blockchain.getContract(wa.address)).accountState?.type === 'active';
                            const paid = deployed ? (await wa.getWorkerData()).paid : 0n;
                            expect(paid).toBeLessThanOrEqual(payoutCum[w][p]);
                            expect(paid).toBeGreaterThanOrEqual(acceptedPayout[w][p]);
                            acceptedPayout[w][p] = paid;
                            expect(workerGot[w][p]).toBe(paid * proxies[p].params.workerFeePerToken);
                            paidSum += paid;
                        }
                        expect(d.paidUnits).toBe(paidSum);
                        // The commission is price − fee over every charged unit the client paid for; units charged
                        // beyond what an account held are the proxy's loss, never the worker's or another client's.
                        expect(d.chargedTon + shortfall[p]).toBe(d.chargedUnits * proxies[p].params.pricePerToken);
                        const chargedHere = accounts.reduce(
                            (s, a, i) => (a.proxy === proxies[p] ? s + chargedFrom[i] : s),
                            0n,
                        );
                        expect(d.chargedTon).toBe(chargedHere);
                        if (!closed[p]) {
                            const bal = (await blockchain.getContract(proxies[p].proxy.address)).balance;
                            const floor =
                                activationBalance[p] + d.chargedTon - d.paidUnits * proxies[p].params.workerFeePerToken;
                            expect(bal).toBeGreaterThanOrEqual(floor - toNano('0.01'));
                        }
                    }
                    for (let i = 0; i < ACCOUNTS; i++) {
                        const d = await accountData(blockchain, accounts[i].account);
                        // Gone (closed after its opening window): it sent everything and holds nothing.
                        if (d === null || d.state === ClientState.closed) {
                            expect((await blockchain.getContract(accounts[i].account.address)).balance).toBe(0n);
                        }
                    }
                }
            }),
            { numRuns: RUNS, seed: SEED ?? (LONG ? undefined : 20261123) },
        );
    }, 600_000);
});
