/**
 * The Proxy's less travelled paths (found uncovered by `npm run coverage`): every refusal by its named error, the
 * activation checks one by one, empty messages per state, closing edge cases, the child check against a masterchain
 * twin, state commitments out of order or from another domain, and the getters the other specs do not read.
 */
import '@ton/test-utils';
import { Address, beginCell, Cell, toNano } from '@ton/core';
import { sign } from '@ton/crypto';
import { Blockchain, BlockchainSnapshot, internal, SandboxContract, TreasuryContract } from '@ton/sandbox';
import {
    BillingErrors,
    billingConstant,
    BillingNetwork,
    createBillingNetwork,
    DAY,
    keysFor,
    openClient,
    payout,
    sendVoucher,
    workerAccount,
} from '../fixtures/billing';
import {
    ChildCodes,
    childCodesCell,
    clientAccountConfigCell,
    loadChildCodes,
    NetworkParams,
    Proxy,
    proxyFromArgs,
    ProxyState,
    storeChildCodes,
    storeNetworkParams,
    storeProxyConfig,
} from '../../wrappers/Proxy';
import { signBillingVoucher, signStateCommit } from '../../worker-runtime/src/protocol/voucher';

const FEE = 1500n;

describe('Proxy paths', () => {
    let net: BillingNetwork;
    let blockchain: Blockchain;
    let worker: SandboxContract<TreasuryContract>;
    let client: SandboxContract<TreasuryContract>;
    let stranger: SandboxContract<TreasuryContract>;
    let snap: BlockchainSnapshot;

    beforeAll(async () => {
        net = await createBillingNetwork();
        blockchain = net.blockchain;
        worker = await blockchain.treasury('worker');
        client = await blockchain.treasury('client');
        stranger = await blockchain.treasury('stranger');
        snap = blockchain.snapshot();
    });

    beforeEach(async () => {
        await blockchain.loadFrom(snap);
    });

    const proxy = () => net.main.proxy;
    const owner = () => net.main.owner;
    const proxyData = () => proxy().getProxyData();
    const balanceOf = async (a: Address) => (await blockchain.getContract(a)).balance;
    const requestClose = (via = owner()) =>
        proxy().send(via.getSender(), { value: toNano('0.05') }, { $$type: 'RequestProxyClose', queryId: 0n });
    const completeClose = (via = owner()) =>
        proxy().send(via.getSender(), { value: toNano('0.05') }, { $$type: 'CompleteProxyClose', queryId: 0n });
    const refusedBy = (error: string) => ({
        to: proxy().address,
        success: false,
        exitCode: BillingErrors[error],
        aborted: true,
    });

    /** Counters and state that no refused message may change. */
    const counters = async () => {
        const d = await proxyData();
        return {
            openClients: d.openClients,
            chargedUnits: d.chargedUnits,
            chargedTon: d.chargedTon,
            paidUnits: d.paidUnits,
            state: d.state,
            closeAt: d.closeAt,
        };
    };

    /** Closes the main Proxy with nothing open: request, wait the delay, complete. */
    const closeProxy = async () => {
        await requestClose();
        blockchain.now! += 7 * DAY;
        const r = await completeClose();
        expect(r.transactions).toHaveTransaction({ to: proxy().address, success: true });
        await expectDestroyed();
    };

    /** A closed Proxy returned everything and destroyed itself: no code, no data, no balance at its address. */
    const expectDestroyed = async () => {
        const c = await blockchain.getContract(proxy().address);
        expect(c.accountState).toBeUndefined();
        expect(c.balance).toBe(0n);
    };

    /** What the chain does with a message to an address without a contract: it bounces it back (no compute). */
    const bouncedByNoContract = (from: Address) => ({
        from: proxy().address,
        to: from,
        inMessageBounced: true,
    });

    describe('getters', () => {
        it('networkParams and proxyConfig return the snapshot taken at deploy; proxyConfig follows the commitments', async () => {
            const cellOf = (p: NetworkParams) => beginCell().store(storeNetworkParams(p)).endCell();
            expect(cellOf(await proxy().getNetworkParams()).equals(cellOf(net.main.params))).toBe(true);
            const cfg = await proxy().getProxyConfig();
            expect(cfg.registry.equals(net.registry.address)).toBe(true);
            expect([cfg.proxyId, cfg.paramsVersion, cfg.commitSeqno, cfg.commitDigest]).toEqual([1n, 1n, 0n, 0n]);
            expect(cfg.params.equals(cellOf(net.main.params))).toBe(true);

            const c = signStateCommit({ proxy: proxy().address, seqno: 9n, digest: 0xfeedn }, net.main.keys.secretKey);
            await owner().send({ to: proxy().address, value: toNano('0.05'), body: c.body });
            expect(await proxy().getProxyConfig()).toMatchObject({ commitSeqno: 9n, commitDigest: 0xfeedn });
            // The commitment lives in the config cell; the params snapshot beside it is untouched.
            expect(cellOf(await proxy().getNetworkParams()).equals(cellOf(net.main.params))).toBe(true);
        });

        it('a get method the Proxy does not have fails with exit code 11', async () => {
            await expect(blockchain.runGetMethod(proxy().address, 'no_such_getter')).rejects.toMatchObject({
                exitCode: 11,
            });
        });
    });

    describe('empty messages (stake top-ups)', () => {
        it('an active or closing Proxy takes them from anyone and changes no counter', async () => {
            const before = await counters();
            const b0 = await balanceOf(proxy().address);
            const r = await stranger.send({ to: proxy().address, value: toNano('3') });
            expect(r.transactions).toHaveTransaction({ to: proxy().address, success: true });
            expect(await counters()).toEqual(before);
            expect((await balanceOf(proxy().address)) - b0).toBeGreaterThan(toNano('2.99'));
            // Only an activation emits an event.
            expect(r.externals).toHaveLength(0);

            await requestClose();
            const closing = await counters();
            const b1 = await balanceOf(proxy().address);
            const r2 = await owner().send({ to: proxy().address, value: toNano('1') });
            expect(r2.transactions).toHaveTransaction({ to: proxy().address, success: true });
            expect(await counters()).toEqual(closing);
            expect((await balanceOf(proxy().address)) - b1).toBeGreaterThan(toNano('0.99'));
        });

        it('a closed (destroyed) Proxy takes none: the TON goes back to the sender', async () => {
            await closeProxy();
            const b0 = await stranger.getBalance();
            const r = await stranger.send({ to: proxy().address, value: toNano('5') });
            expect(r.transactions).toHaveTransaction(bouncedByNoContract(stranger.address));
            expect(b0 - (await stranger.getBalance())).toBeLessThan(toNano('0.01'));
            await expectDestroyed();
        });
    });

    describe('activation checks the config cells one by one', () => {
        // A Proxy built by hand, so that each field the activation checks can be wrong on its own.
        const handMade = async (over: { price?: bigint; workerFee?: bigint; codes?: Partial<ChildCodes> }) => {
            const o = await blockchain.treasury('hand-owner');
            const keys = keysFor('hand');
            const params = net.main.params;
            const genuine = loadChildCodes((await childCodesCell(clientAccountConfigCell(params))).beginParse());
            const codes = beginCell()
                .store(storeChildCodes({ ...genuine, ...over.codes }))
                .endCell();
            const config = beginCell()
                .store(
                    storeProxyConfig({
                        $$type: 'ProxyConfig',
                        registry: net.registry.address,
                        proxyId: 7n,
                        paramsVersion: 1n,
                        params: beginCell().store(storeNetworkParams(params)).endCell(),
                        commitSeqno: 0n,
                        commitDigest: 0n,
                    }),
                )
                .endCell();
            const p = blockchain.openContract(
                await Proxy.fromInit(
                    o.address,
                    BigInt('0x' + keys.publicKey.toString('hex')),
                    over.price ?? params.pricePerToken,
                    over.workerFee ?? params.workerFeePerToken,
                    0n,
                    0n,
                    0n,
                    0n,
                    0n,
                    0n,
                    codes,
                    config,
                ),
            );
            return { p, o, genuine };
        };

        const activate = async (p: SandboxContract<Proxy>, o: SandboxContract<TreasuryContract>) => {
            const b0 = await o.getBalance();
            const r = await p.send(o.getSender(), { value: toNano('11') }, null);
            return { r, spent: b0 - (await o.getBalance()) };
        };

        it('the untouched hand-made Proxy activates (the cases below differ in one field only)', async () => {
            const { p, o } = await handMade({});
            const { r } = await activate(p, o);
            expect(r.transactions).toHaveTransaction({ to: p.address, success: true });
            expect((await p.getProxyData()).state).toBe(ProxyState.active);
        });

        const wrong: [string, (g: ChildCodes) => Parameters<typeof handMade>[0]][] = [
            ['a price field other than the params price', () => ({ price: 2001n })],
            ['a worker fee field other than the params fee', () => ({ workerFee: FEE - 1n })],
            [
                'a client config cell other than the params (close delay)',
                () => ({
                    codes: { clientConfig: clientAccountConfigCell({ ...net.main.params, clientCloseDelay: 1n }) },
                }),
            ],
            ['another client code hash', (g) => ({ codes: { clientCodeHash: g.clientCodeHash ^ 1n } })],
            ['another client code depth', (g) => ({ codes: { clientCodeDepth: g.clientCodeDepth + 1n } })],
            ['another worker code hash', (g) => ({ codes: { workerCodeHash: g.workerCodeHash ^ 1n } })],
            ['another worker code depth', (g) => ({ codes: { workerCodeDepth: g.workerCodeDepth + 1n } })],
        ];
        for (const [what, change] of wrong) {
            it(`refuses ${what} with ERR_BAD_CONFIG, stays pending and returns the stake`, async () => {
                const { genuine } = await handMade({});
                const { p, o } = await handMade(change(genuine));
                const { r, spent } = await activate(p, o);
                expect(r.transactions).toHaveTransaction({
                    to: p.address,
                    success: false,
                    exitCode: BillingErrors.ERR_BAD_CONFIG,
                });
                expect(r.externals).toHaveLength(0);
                expect(spent).toBeLessThan(toNano('0.05'));
                // The StateInit is installed even though the compute phase failed: the Proxy exists, inactive.
                expect((await p.getProxyData()).state).toBe(ProxyState.pending);
            });
        }
    });

    describe('client accounts', () => {
        it('an open that does not carry stake + OPEN_FEE is refused and deploys nothing', async () => {
            const stake = toNano('1');
            const b0 = await client.getBalance();
            const opening = BigInt(blockchain.now!);
            const r = await proxy().send(
                client.getSender(),
                { value: stake + billingConstant('OPEN_FEE') - 1n },
                { $$type: 'OpenClientAccount', queryId: 0n, stake, opening },
            );
            expect(r.transactions).toHaveTransaction(refusedBy('ERR_VALUE_TOO_SMALL'));
            expect((await proxyData()).openClients).toBe(0n);
            const account = await proxy().getClientAccountAddress(client.address, opening);
            expect(r.transactions).not.toHaveTransaction({ to: account });
            expect(await balanceOf(account)).toBe(0n);
            expect(b0 - (await client.getBalance())).toBeLessThan(toNano('0.05'));
        });

        it('OpenUndo from anyone but the account itself is refused: the open-client count cannot be talked down', async () => {
            const { opening } = await openClient(blockchain, net.main, client, toNano('1'));
            const r = await proxy().send(
                client.getSender(),
                { value: toNano('0.1') },
                { $$type: 'OpenUndo', owner: client.address, opening },
            );
            expect(r.transactions).toHaveTransaction(refusedBy('ERR_NOT_CHILD'));
            expect((await proxyData()).openClients).toBe(1n);
            await requestClose();
            blockchain.now! += 7 * DAY;
            expect((await completeClose()).transactions).toHaveTransaction(refusedBy('ERR_CLIENTS_OPEN'));
        });
    });

    describe('the child check', () => {
        // The same account id on the masterchain is another account: it must not pass for the basechain child, or
        // a copy of the child deployed there would be paid and counted a second time.
        const fromTwin = (child: Address, value: bigint, body: Cell) =>
            blockchain.sendMessage(
                internal({ from: new Address(-1, child.hash), to: proxy().address, value, body, bounce: true }),
            );

        it('refuses ChargeNotify, ClientClosed and OpenUndo from the masterchain twin of a genuine account', async () => {
            const { account, opening } = await openClient(blockchain, net.main, client, toNano('1'), toNano('2'));
            const before = await counters();
            const who = client.address;
            const bodies = [
                beginCell()
                    .storeUint(0x63680020, 32)
                    .storeUint(10n, 64)
                    .storeUint(0n, 64)
                    .storeAddress(who)
                    .storeUint(opening, 32), // charge
                beginCell()
                    .storeUint(0x63680021, 32)
                    .storeUint(10n, 64)
                    .storeUint(0n, 64)
                    .storeAddress(who)
                    .storeUint(opening, 32), // closed
                beginCell().storeUint(0x63680022, 32).storeAddress(who).storeUint(opening, 32), // undo
            ];
            for (const body of bodies) {
                const r = await fromTwin(account.address, toNano('0.1'), body.endCell());
                expect(r.transactions).toHaveTransaction(refusedBy('ERR_NOT_CHILD'));
            }
            expect(await counters()).toEqual(before);
            // The genuine account still authenticates.
            const ok = await sendVoucher(blockchain, owner(), 'charge', account.address, 10n, net.main.keys.secretKey);
            expect(ok.transactions).toHaveTransaction({ from: account.address, to: proxy().address, success: true });
            expect((await proxyData()).chargedUnits).toBe(10n);
        });

        it('refuses a PayoutRequest from the masterchain twin of a genuine worker account and pays nothing', async () => {
            await payout(blockchain, net.main, worker, 10n);
            const wa = await workerAccount(blockchain, net.main, worker.address);
            const b0 = await worker.getBalance();
            const body = beginCell().storeUint(0x63680023, 32).storeUint(1000n, 64).storeAddress(worker.address);
            const r = await fromTwin(wa.address, toNano('0.1'), body.endCell());
            expect(r.transactions).toHaveTransaction(refusedBy('ERR_NOT_CHILD'));
            expect(r.transactions).not.toHaveTransaction({ from: proxy().address, to: worker.address });
            expect(await worker.getBalance()).toBe(b0);
            expect((await proxyData()).paidUnits).toBe(10n);
        });
    });

    describe('closing', () => {
        it('a second close request is refused and cannot move the close time', async () => {
            await requestClose();
            const { closeAt } = await proxyData();
            blockchain.now! += DAY;
            expect((await requestClose()).transactions).toHaveTransaction(refusedBy('ERR_PROXY_NOT_ACTIVE'));
            expect((await proxyData()).closeAt).toBe(closeAt);
        });

        it('completing needs a close request first, and closes exactly at closeAt', async () => {
            expect((await completeClose()).transactions).toHaveTransaction(refusedBy('ERR_PROXY_NOT_CLOSING'));
            await requestClose();
            const { closeAt } = await proxyData();
            expect(closeAt).toBe(BigInt(blockchain.now!) + BigInt(7 * DAY));
            blockchain.now = Number(closeAt) - 1;
            expect((await completeClose()).transactions).toHaveTransaction(refusedBy('ERR_PROXY_CLOSE_TOO_EARLY'));
            blockchain.now = Number(closeAt);
            const r = await completeClose();
            expect(r.transactions).toHaveTransaction({ to: proxy().address, success: true });
            // ProxyClosedEvent{amount}: the balance above the reserve, stake included, goes to the owner (less the
            // close transaction's own fees).
            const ev = r.externals.map((e) => e.body.beginParse()).find((b) => b.preloadUint(32) === 0x63680106)!;
            ev.skip(32);
            const paidOut = ev.loadCoins();
            expect(paidOut).toBeGreaterThan(toNano('11'));
            expect(r.transactions).toHaveTransaction({
                from: proxy().address,
                to: owner().address,
                value: (v) => v! <= paidOut && v! > paidOut - toNano('0.01'),
            });
            // Everything, reserve included: the Proxy destroyed itself.
            await expectDestroyed();
        });

        it('a closed Proxy is gone: every owner operation and account opening bounces back', async () => {
            await closeProxy();
            // Sent without the StateInit (a wrapper opened by address only): nothing runs, the chain bounces them.
            const gone = blockchain.openContract(Proxy.fromAddress(proxy().address));
            const v = { value: toNano('0.5') };
            for (const body of [
                { $$type: 'CompleteProxyClose', queryId: 0n } as const,
                { $$type: 'RequestProxyClose', queryId: 0n } as const,
            ]) {
                const b0 = await owner().getBalance();
                const r = await gone.send(owner().getSender(), v, body);
                expect(r.transactions).toHaveTransaction(bouncedByNoContract(owner().address));
                expect(b0 - (await owner().getBalance())).toBeLessThan(toNano('0.01'));
            }
            const open = {
                $$type: 'OpenClientAccount',
                queryId: 0n,
                stake: toNano('1'),
                opening: BigInt(blockchain.now!),
            } as const;
            const r = await gone.send(client.getSender(), { value: toNano('2') }, open);
            expect(r.transactions).toHaveTransaction(bouncedByNoContract(client.address));
            expect(r.transactions).not.toHaveTransaction({ from: proxy().address, deploy: true });
            await expectDestroyed();
        });

        it('re-opening after the close deploys the Proxy afresh: pending, zero counters, activated by its owner', async () => {
            await closeProxy();
            const init = (
                await proxyFromArgs({
                    owner: owner().address,
                    publicKey: net.main.keys.publicKey,
                    registry: net.registry.address,
                    proxyId: 1n,
                    paramsVersion: 1n,
                    params: net.main.params,
                })
            ).init!;
            const r = await owner().send({ to: proxy().address, value: toNano('11'), init });
            expect(r.transactions).toHaveTransaction({ to: proxy().address, success: true, deploy: true });
            const d = await proxyData();
            expect([d.state, d.openClients, d.chargedUnits, d.paidUnits]).toEqual([ProxyState.active, 0n, 0n, 0n]);
        });

        it('a payout after the close bounces: the WorkerAccount undoes its counter and the worker gets its value back', async () => {
            await closeProxy();
            const b0 = await worker.getBalance();
            // 100,000 units: a worker fee of 0.15 TON, which would show in the worker's balance.
            const r = await payout(blockchain, net.main, worker, 100_000n);
            const wa = await workerAccount(blockchain, net.main, worker.address);
            expect(r.transactions).toHaveTransaction(bouncedByNoContract(wa.address));
            expect(r.transactions).toHaveTransaction({ from: wa.address, to: worker.address, success: true });
            expect((await wa.getWorkerData()).paid).toBe(0n);
            await expectDestroyed();
            // The worker paid gas, the account's deploy and its storage reserve (kept by the WorkerAccount), nothing
            // more: no worker fee came out of the Proxy's reserve.
            const reserve = billingConstant('WORKER_RESERVE');
            expect((await blockchain.getContract(wa.address)).balance).toBe(reserve);
            const spent = b0 - (await worker.getBalance());
            expect(spent).toBeGreaterThan(reserve);
            expect(spent).toBeLessThan(toNano('0.03') + reserve);
        });
    });

    describe('state commitments', () => {
        const commit = (seqno: bigint, digest: bigint) =>
            owner().send({
                to: proxy().address,
                value: toNano('0.05'),
                body: signStateCommit({ proxy: proxy().address, seqno, digest }, net.main.keys.secretKey).body,
            });

        it('emits StateCommittedEvent and refuses any seqno that is not above the committed one', async () => {
            const r = await commit(5n, 55n);
            const ev = r.externals.map((e) => e.body.beginParse()).find((b) => b.preloadUint(32) === 0x63680107)!;
            ev.skip(32);
            expect([ev.loadUintBig(64), ev.loadUintBig(256)]).toEqual([5n, 55n]);
            for (const seqno of [4n, 5n, 0n]) {
                const late = await commit(seqno, 1n);
                expect(late.transactions).toHaveTransaction(refusedBy('ERR_STATE_SEQNO_NOT_NEWER'));
                expect(late.externals).toHaveLength(0);
            }
            expect(await proxy().getCommittedState()).toMatchObject({ seqno: 5n, digest: 55n });
            await commit(6n, 66n);
            expect(await proxy().getCommittedState()).toMatchObject({ seqno: 6n, digest: 66n });
        });

        it('a billing voucher signed by the same key is no state commitment', async () => {
            // Vouchers are public (the runtime hands them out). A voucher cell is shorter than a commitment, so it
            // fails to parse (cell underflow) before its op is even compared.
            for (const kind of ['charge', 'refund', 'payout'] as const) {
                const v = signBillingVoucher(
                    kind,
                    { target: proxy().address, cumulative: 1n << 40n, validUntil: blockchain.now! + 3600 },
                    net.main.keys.secretKey,
                );
                const body = beginCell().storeUint(0x63680032, 32).storeBuffer(v.signature).storeRef(v.voucher);
                const r = await owner().send({ to: proxy().address, value: toNano('0.05'), body: body.endCell() });
                expect(r.transactions).toHaveTransaction({ to: proxy().address, success: false, exitCode: 9 });
            }
            // A commitment-shaped cell with another op, signed by the proxy key, is refused by its op.
            const commit = beginCell()
                .storeUint(0x63680001, 32)
                .storeAddress(proxy().address)
                .storeUint(1n, 64)
                .storeUint(1n, 256)
                .endCell();
            const signature = sign(commit.hash(), net.main.keys.secretKey);
            const body = beginCell().storeUint(0x63680032, 32).storeBuffer(signature).storeRef(commit).endCell();
            const r = await owner().send({ to: proxy().address, value: toNano('0.05'), body });
            expect(r.transactions).toHaveTransaction(refusedBy('ERR_WRONG_VOUCHER_OP'));
            expect(await proxy().getCommittedState()).toMatchObject({ seqno: 0n, digest: 0n });
        });
    });

    describe('messages no receiver takes', () => {
        it('an unknown opcode fails with exit code 130 and bounces its value', async () => {
            const before = await counters();
            const r = await stranger.send({
                to: proxy().address,
                value: toNano('1'),
                body: beginCell().storeUint(0x0bad0bad, 32).endCell(),
            });
            expect(r.transactions).toHaveTransaction({ to: proxy().address, success: false, exitCode: 130 });
            expect(r.transactions).toHaveTransaction({
                from: proxy().address,
                to: stranger.address,
                inMessageBounced: true,
            });
            expect(await counters()).toEqual(before);
        });

        it('a bounced message is dropped without effect (the Proxy sends nothing bounceable itself)', async () => {
            const before = await counters();
            const b0 = await balanceOf(proxy().address);
            const body = beginCell()
                .storeUint(0xffffffff, 32)
                .storeUint(0x63680023, 32)
                .storeUint(10n, 64)
                .storeAddress(worker.address)
                .endCell();
            const r = await blockchain.sendMessage(
                internal({ from: worker.address, to: proxy().address, value: toNano('0.1'), body, bounced: true }),
            );
            expect(r.transactions).toHaveTransaction({ to: proxy().address, success: true });
            expect(r.transactions).not.toHaveTransaction({ from: proxy().address });
            expect(await counters()).toEqual(before);
            expect((await balanceOf(proxy().address)) - b0).toBeGreaterThan(toNano('0.09'));
        });
    });
});
