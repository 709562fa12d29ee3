import '@ton/test-utils';
import { Address, beginCell, toNano } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { SandboxContract, TreasuryContract } from '@ton/sandbox';
import { deployNetwork, NetworkSnapshot } from '../fixtures/network';
import { DAY } from '../fixtures/billing';
import { SandboxNetworkProvider, ScriptedUI } from './sandboxProvider';
import { ClientAccount, ClientState } from '../../wrappers/ClientAccount';
import { Proxy, ProxyState } from '../../wrappers/Proxy';
import { WorkerAccount } from '../../wrappers/WorkerAccount';
import { signBillingVoucher } from '../../worker-runtime/src/protocol/voucher';
import { run as deployProxy } from '../../scripts/deployProxy';
import { run as openClientAccount } from '../../scripts/openClientAccount';
import { run as topUp } from '../../scripts/topUp';
import { run as increaseStake } from '../../scripts/increaseStake';
import { run as withdraw } from '../../scripts/withdraw';
import { run as requestRefund } from '../../scripts/requestRefund';
import { run as forceRefund } from '../../scripts/forceRefund';
import { run as chargeWithVoucher } from '../../scripts/chargeWithVoucher';
import { run as claimPayout } from '../../scripts/claimPayout';
import { run as requestProxyClose } from '../../scripts/requestProxyClose';
import { run as completeProxyClose } from '../../scripts/completeProxyClose';
import { run as showAccount } from '../../scripts/showAccount';

const SEED = '11'.repeat(32);
const SEED_ENV = 'CHRYSALIS_PROXY_SEED';

describe('billing blueprint scripts against the sandbox-backed NetworkProvider', () => {
    let snap: NetworkSnapshot;
    const seedBefore = process.env[SEED_ENV];
    beforeAll(async () => {
        snap = new NetworkSnapshot(await deployNetwork());
        snap.save();
    });
    beforeEach(async () => {
        await snap.restore();
        delete process.env[SEED_ENV];
    });
    afterAll(() => {
        if (seedBefore === undefined) delete process.env[SEED_ENV];
        else process.env[SEED_ENV] = seedBefore;
    });

    const as = (wallet: SandboxContract<TreasuryContract>, answers: string[] = []) =>
        new SandboxNetworkProvider(snap.net.blockchain, wallet, new ScriptedUI(answers));
    const validUntil = () => ['--valid-until', String(snap.net.blockchain.now! + 3600)];

    /** A proxy deployed by the script, and a client account opened at it with a 1 TON stake and 2 TON deposit. */
    async function proxyAndClient() {
        const { blockchain, registry } = snap.net;
        const owner = await blockchain.treasury('script-proxy-owner');
        const client = await blockchain.treasury('script-client');
        const proxyAddr = await deployProxy(as(owner), [
            '--registry',
            registry.address.toString(),
            '--id',
            '3',
            '--seed',
            SEED,
        ]);
        const accAddr = await openClientAccount(as(client), [
            '--proxy',
            proxyAddr.toString(),
            '--stake',
            '1',
            '--deposit=2',
        ]);
        const proxy = blockchain.openContract(Proxy.fromAddress(proxyAddr));
        const account = blockchain.openContract(ClientAccount.fromAddress(accAddr));
        return { owner, client, proxy, account, proxyAddr, accAddr };
    }

    it('drive a proxy, a client and a worker through their whole life', async () => {
        const { blockchain, params } = snap.net;
        const { owner, client, proxy, account, proxyAddr, accAddr } = await proxyAndClient();
        const worker = await blockchain.treasury('script-worker');
        const acc = () => account.getAccountData();
        expect((await proxy.getProxyData()).state).toBe(ProxyState.active);
        expect((await proxy.getProxyData()).publicKey).toBe(
            BigInt('0x' + keyPairFromSeed(Buffer.from(SEED, 'hex')).publicKey.toString('hex')),
        );
        expect((await acc()).state).toBe(ClientState.active);

        const accountArg = ['--account', accAddr.toString()];
        await topUp(as(client), [...accountArg, '--amount', '1']);
        expect((await acc()).balance).toBeGreaterThan(toNano('2.9'));
        await increaseStake(as(client), [...accountArg, '--amount', '0.5']);
        expect((await acc()).stake).toBe(toNano('1.5'));
        await withdraw(as(client), [...accountArg, '--amount', '0.5']);
        expect((await acc()).balance).toBeLessThan(toNano('2.6'));

        await chargeWithVoucher(as(owner), [...accountArg, '--cumulative', '1000', '--seed', SEED, ...validUntil()]);
        expect((await acc()).charged).toBe(1000n);
        expect((await proxy.getProxyData()).chargedUnits).toBe(1000n);

        const waAddr = await claimPayout(as(worker), [
            '--proxy',
            proxyAddr.toString(),
            '--cumulative',
            '1000',
            '--seed',
            SEED,
            ...validUntil(),
        ]);
        expect((await blockchain.openContract(WorkerAccount.fromAddress(waAddr)).getWorkerData()).paid).toBe(1000n);

        const shown = await showAccount(as(client), accountArg);
        expect(shown.join('\n')).toMatch(/state=active .*charged=1000/s);
        expect((await showAccount(as(client), ['--proxy', proxyAddr.toString()])).join('\n')).toMatch(/paidUnits=1000/);
        expect((await showAccount(as(client), ['--worker', waAddr.toString()])).join('\n')).toMatch(/paid=1000/);

        await requestRefund(as(client), accountArg);
        expect((await acc()).state).toBe(ClientState.closing);
        blockchain.now! += Number(params.clientCloseDelay);
        await forceRefund(as(client), accountArg);
        // Closed past its opening window: everything went back and the account destroyed itself.
        expect((await blockchain.getContract(account.address)).accountState).toBeUndefined();
        expect((await showAccount(as(client), accountArg)).join('\n')).toMatch(
            /ClientAccount {2}state=closed \(nothing at/,
        );

        await requestProxyClose(as(owner), ['--proxy', proxyAddr.toString()]);
        expect((await proxy.getProxyData()).state).toBe(ProxyState.closing);
        blockchain.now! += 30 * DAY;
        const closing = as(owner);
        await completeProxyClose(closing, ['--proxy', proxyAddr.toString()]);
        // The closed Proxy destroyed itself; showAccount says so.
        expect((await blockchain.getContract(proxyAddr)).accountState).toBeUndefined();
        expect(closing.ui().written.join('\n')).toMatch(/CompleteProxyClose: done/);
        expect((await showAccount(as(client), ['--proxy', proxyAddr.toString()])).join('\n')).toMatch(
            /Proxy {2}state=closed \(nothing at/,
        );
    });

    it('withdraw all, the key from CHRYSALIS_PROXY_SEED, a refund voucher and a payout voucher signed elsewhere', async () => {
        const { blockchain } = snap.net;
        const { owner, client, proxy, account, proxyAddr, accAddr } = await proxyAndClient();
        const accountArg = ['--account', accAddr.toString()];
        await withdraw(as(client), [...accountArg, '--amount', 'all']);
        expect((await account.getAccountData()).balance).toBe(0n);
        await topUp(as(client), [...accountArg, '--amount', '1']);

        process.env[SEED_ENV] = SEED;
        // --valid-for counts from the wall clock, the sandbox chain runs ahead of it (fixture time).
        const validFor = ['--valid-for', String(blockchain.now! - Math.floor(Date.now() / 1000) + 3600)];
        await chargeWithVoucher(as(owner), [...accountArg, '--cumulative', '500', ...validFor]);
        expect((await account.getAccountData()).charged).toBe(500n);
        await chargeWithVoucher(as(owner), [...accountArg, '--cumulative', '500', '--kind', 'refund', ...validUntil()]);
        expect((await account.getAccountData()).state).toBe(ClientState.closed);
        expect((await proxy.getProxyData()).openClients).toBe(0n);

        const worker = await blockchain.treasury('script-worker');
        const wa = await WorkerAccount.fromInit(proxyAddr, worker.address, (await proxy.getProxyData()).publicKey, 0n);
        const signed = signBillingVoucher(
            'payout',
            { target: wa.address, cumulative: 500n, validUntil: blockchain.now! + 3600 },
            keyPairFromSeed(Buffer.from(SEED, 'hex')).secretKey,
        );
        const waAddr = await claimPayout(as(worker), [
            '--proxy',
            proxyAddr.toString(),
            '--voucher',
            signed.voucher.toBoc().toString('base64'),
            '--signature',
            signed.signature.toString('hex'),
        ]);
        expect(waAddr.equals(wa.address)).toBe(true);
        expect((await blockchain.openContract(WorkerAccount.fromAddress(waAddr)).getWorkerData()).paid).toBe(500n);
    });

    it('prompt for the arguments not given', async () => {
        const { blockchain, registry } = snap.net;
        const owner = await blockchain.treasury('script-proxy-owner');
        const client = await blockchain.treasury('script-client');
        const deploying = as(owner, [registry.address.toString(), '4', SEED]);
        const proxyAddr = await deployProxy(deploying, []);
        expect(deploying.ui().asked).toEqual([
            'Registry address',
            'Proxy id (uint32)',
            'Proxy key seed (64 hex digits; or set CHRYSALIS_PROXY_SEED)',
        ]);

        const opening = as(client, ['1.5']);
        const accAddr = await openClientAccount(opening, ['--proxy', proxyAddr.toString()]);
        expect(opening.ui().asked).toEqual(['Stake (TON)']);
        const account = blockchain.openContract(ClientAccount.fromAddress(accAddr));
        expect((await account.getAccountData()).stake).toBe(toNano('1.5'));

        const topping = as(client, [accAddr.toString(), '2']);
        await topUp(topping, []);
        expect(topping.ui().asked).toEqual(['ClientAccount address', 'Amount (TON)']);
        expect((await account.getAccountData()).balance).toBeGreaterThan(toNano('1.9'));

        const showing = as(client, ['proxy', proxyAddr.toString()]);
        expect((await showAccount(showing, [])).join('\n')).toMatch(/Proxy {2}state=active .*openClients=1/s);
        expect(showing.ui().asked).toEqual(['Show which contract?', 'Proxy address']);
    });

    it('report malformed arguments by name', async () => {
        const w = await snap.net.blockchain.treasury('w');
        const self = w.address.toString();
        const account = ['--account', self];
        const fails = (p: Promise<unknown>, message: RegExp) => expect(p).rejects.toThrow(message);
        await fails(topUp(as(w), ['--account', 'nope', '--amount', '1']), /account: not a TON address: nope/);
        await fails(topUp(as(w), [...account, '--amount', '-1']), /amount: not a TON amount: -1/);
        await fails(topUp(as(w), [...account, '--amount', '1.0000000001']), /amount: not a TON amount/);
        await fails(topUp(as(w, ['lots']), account), /amount: not a TON amount: lots/);
        await fails(topUp(as(w), [...account, '--amount']), /argument --amount needs a value/);
        await fails(topUp(as(w), [`account=${self}`, 'amount=1']), /unexpected argument "account=.*--name value/);
        await fails(withdraw(as(w), [...account, '--amount', 'most']), /amount: not a TON amount: most/);
        await fails(
            deployProxy(as(w), ['--registry', snap.net.registry.address.toString(), '--id', '1.5']),
            /id: not a non-negative integer: 1.5/,
        );
        await fails(chargeWithVoucher(as(w), [...account, '--cumulative', '-3']), /cumulative: not a non-negative/);
        await fails(chargeWithVoucher(as(w), [...account, '--cumulative', '1', '--kind', 'tip']), /kind: expected/);
        await fails(chargeWithVoucher(as(w, ['abc']), [...account, '--cumulative', '1']), /seed: expected 64 hex/);
        process.env[SEED_ENV] = 'not-hex';
        await fails(
            chargeWithVoucher(as(w), [...account, '--cumulative', '1']),
            /CHRYSALIS_PROXY_SEED: expected 64 hex digits/,
        );
        await fails(
            chargeWithVoucher(as(w), [...account, '--cumulative', '1', '--valid-for', 'soon']),
            /valid-for: not a non-negative integer: soon/,
        );
        const proxy = ['--proxy', new Address(0, Buffer.alloc(32, 7)).toString()];
        await fails(
            claimPayout(as(w), [...proxy, '--voucher', '!!!', '--signature', 'ab']),
            /voucher: not a base64 BoC/,
        );
        const boc = beginCell().storeUint(1, 8).endCell().toBoc().toString('base64');
        await fails(
            claimPayout(as(w), [...proxy, '--voucher', boc, '--signature', 'ab']),
            /signature: expected 128 hex digits/,
        );
        await fails(showAccount(as(w), [...account, '--worker', self]), /one of --account, --proxy or --worker/);
    });
});
