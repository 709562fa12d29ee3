import '@ton/test-utils';
import { toNano } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { deployNetwork } from '../fixtures/network';
import { DAY } from '../fixtures/billing';
import { sandboxProvider } from './sandboxProvider';
import { ClientAccount, ClientState } from '../../wrappers/ClientAccount';
import { Proxy, ProxyState } from '../../wrappers/Proxy';
import { WorkerAccount } from '../../wrappers/WorkerAccount';
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

describe('billing blueprint scripts (sandbox-backed provider)', () => {
    it('drive a proxy, a client and a worker through their whole life', async () => {
        const net = await deployNetwork();
        const { blockchain } = net;
        const validUntil = `validUntil=${blockchain.now! + 3600}`;
        const owner = await blockchain.treasury('script-proxy-owner');
        const client = await blockchain.treasury('script-client');
        const worker = await blockchain.treasury('script-worker');
        const asOwner = sandboxProvider(blockchain, owner);
        const asClient = sandboxProvider(blockchain, client);
        const asWorker = sandboxProvider(blockchain, worker);

        const proxyAddr = await deployProxy(asOwner.provider, [
            `registry=${net.registry.address}`,
            'proxyId=3',
            `seed=${SEED}`,
        ]);
        const proxy = blockchain.openContract(Proxy.fromAddress(proxyAddr));
        expect((await proxy.getProxyData()).state).toBe(ProxyState.active);
        expect((await proxy.getProxyData()).publicKey).toBe(
            BigInt('0x' + keyPairFromSeed(Buffer.from(SEED, 'hex')).publicKey.toString('hex')),
        );

        const accAddr = await openClientAccount(asClient.provider, [`proxy=${proxyAddr}`, 'stake=1', 'deposit=2']);
        const account = blockchain.openContract(ClientAccount.fromAddress(accAddr));
        const acc = () => account.getAccountData();
        expect((await acc()).state).toBe(ClientState.active);

        await topUp(asClient.provider, [`account=${accAddr}`, 'amount=1']);
        expect((await acc()).balance).toBeGreaterThan(toNano('2.9'));
        await increaseStake(asClient.provider, [`account=${accAddr}`, 'amount=0.5']);
        expect((await acc()).stake).toBe(toNano('1.5'));
        await withdraw(asClient.provider, [`account=${accAddr}`, 'amount=0.5']);
        expect((await acc()).balance).toBeLessThan(toNano('2.6'));

        await chargeWithVoucher(asOwner.provider, [
            `account=${accAddr}`,
            'cumulative=1000',
            `seed=${SEED}`,
            validUntil,
        ]);
        expect((await acc()).charged).toBe(1000n);
        expect((await proxy.getProxyData()).chargedUnits).toBe(1000n);

        const waAddr = await claimPayout(asWorker.provider, [
            `proxy=${proxyAddr}`,
            'cumulative=1000',
            `seed=${SEED}`,
            validUntil,
        ]);
        expect((await blockchain.openContract(WorkerAccount.fromAddress(waAddr)).getWorkerData()).paid).toBe(1000n);

        const shown = await showAccount(asClient.provider, [`account=${accAddr}`]);
        expect(shown.join('\n')).toMatch(/state=active .*charged=1000/s);
        expect((await showAccount(asClient.provider, [`proxy=${proxyAddr}`])).join('\n')).toMatch(/paidUnits=1000/);
        expect((await showAccount(asClient.provider, [`worker=${waAddr}`])).join('\n')).toMatch(/paid=1000/);

        await requestRefund(asClient.provider, [`account=${accAddr}`]);
        expect((await acc()).state).toBe(ClientState.closing);
        blockchain.now! += Number(net.params.clientCloseDelay);
        await forceRefund(asClient.provider, [`account=${accAddr}`]);
        expect((await acc()).state).toBe(ClientState.closed);

        await requestProxyClose(asOwner.provider, [`proxy=${proxyAddr}`]);
        expect((await proxy.getProxyData()).state).toBe(ProxyState.closing);
        blockchain.now! += 30 * DAY;
        await completeProxyClose(asOwner.provider, [`proxy=${proxyAddr}`]);
        expect((await proxy.getProxyData()).state).toBe(ProxyState.closed);
        expect(asOwner.ui.lines.join('\n')).toMatch(/Proxy deployed at/);
    });

    it('report bad or missing arguments by name', async () => {
        const net = await deployNetwork();
        const w = await net.blockchain.treasury('w');
        const { provider } = sandboxProvider(net.blockchain, w);
        await expect(topUp(provider, ['account=nope', 'amount=1'])).rejects.toThrow(
            /account=nope is not a TON address/,
        );
        await expect(topUp(provider, [`account=${w.address}`])).rejects.toThrow(/missing argument amount/);
        await expect(topUp(provider, [`account=${w.address}`, 'amount=-1'])).rejects.toThrow(/not an amount of TON/);
        await expect(chargeWithVoucher(provider, [`account=${w.address}`, 'cumulative=1'])).rejects.toThrow(
            /proxy key/,
        );
        await expect(showAccount(provider, [])).rejects.toThrow(/account=, proxy= or worker=/);
        await expect(topUp(provider, ['oops'])).rejects.toThrow(/not key=value/);
    });
});
