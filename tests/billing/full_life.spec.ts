/**
 * The full life of a proxy on the real Registry: registry → proxy deployed (params snapshot from the registry) and
 * registered → client opens an account and tops up → charges → a worker registered and staked at the registry, paid
 * through its WorkerAccount → client refund → proxy closes → every billing contract holds only its storage reserve and
 * every party got what it is owed.
 */
import '@ton/test-utils';
import { toNano } from '@ton/core';
import { deployNetwork, registerWorker } from '../fixtures/network';
import { billingConstant, keysFor, payout, sendVoucher, openClient, workerAccount } from '../fixtures/billing';
import { proxyFromArgs, ProxyState } from '../../wrappers/Proxy';
import { ClientState } from '../../wrappers/ClientAccount';
import { WorkerAccount } from '../../wrappers/WorkerAccount';

describe('billing full life on the real Registry', () => {
    it('runs from registration to close with every party paid and nothing stranded', async () => {
        const net = await deployNetwork();
        const { blockchain, registry } = net;
        const params = await registry.getParams();
        const paramsVersion = await registry.getParamsVersion();
        const price = params.pricePerToken;
        const fee = params.workerFeePerToken;

        // Proxy: deployed by its owner with the registry's params snapshot, then recorded by the registry owner.
        const proxyOwner = await blockchain.treasury('life-proxy-owner');
        const keys = keysFor('life-proxy');
        const proxy = blockchain.openContract(
            await proxyFromArgs({
                owner: proxyOwner.address,
                publicKey: keys.publicKey,
                registry: registry.address,
                proxyId: 7n,
                paramsVersion,
                params,
            }),
        );
        const stake = params.minProxyStake + toNano('1');
        const deploy = await proxy.send(proxyOwner.getSender(), { value: stake }, null);
        expect(deploy.transactions).toHaveTransaction({ to: proxy.address, deploy: true, success: true });
        const reg = await registry.send(
            net.owner.getSender(),
            { value: toNano('0.05') },
            {
                $$type: 'RegisterProxy',
                queryId: 0n,
                proxyId: 7n,
                publicKey: BigInt('0x' + keys.publicKey.toString('hex')),
                proxyAddress: proxy.address,
                endpoint: 'https://proxy.example',
            },
        );
        expect(reg.transactions).toHaveTransaction({ to: registry.address, success: true });
        expect((await registry.getProxy(7n))!.proxyAddress.equals(proxy.address)).toBe(true);
        // The registry can hold the billing code; the deployed contracts' code matches it.
        const proxyState = await blockchain.getContract(proxy.address);
        const code = proxyState.accountState?.type === 'active' ? proxyState.accountState.state.code! : undefined;
        await registry.send(
            net.owner.getSender(),
            { value: toNano('0.05') },
            { $$type: 'SetChildCode', queryId: 0n, kind: 2n, code: code! },
        );
        expect((await registry.getProxyCode())!.hash().equals(code!.hash())).toBe(true);
        const handle = { proxy, keys, params, owner: proxyOwner };

        // Client: opens, tops up, is charged twice.
        const client = await blockchain.treasury('life-client');
        const clientStart = await client.getBalance();
        const { account } = await openClient(blockchain, handle, client, params.minClientStake, toNano('2'));
        expect((await account.getAccountData()).state).toBe(ClientState.active);
        await account.send(client.getSender(), { value: toNano('3') }, { $$type: 'TopUp', queryId: 0n });
        await sendVoucher(blockchain, proxyOwner, 'charge', account.address, 40_000n, keys.secretKey);
        await sendVoucher(blockchain, proxyOwner, 'charge', account.address, 100_000n, keys.secretKey);

        // Worker: registered and staked at the registry; its owner is paid for the work through its WorkerAccount.
        const worker = await registerWorker(net, 'life-worker');
        expect(worker.result.transactions).toHaveTransaction({ to: worker.stake.address, success: true });
        const workerOwner = net.operator;
        const wBefore = await workerOwner.getBalance();
        const p1 = await payout(blockchain, handle, workerOwner, 60_000n);
        expect(p1.transactions).toHaveTransaction({ from: proxy.address, to: workerOwner.address, success: true });

        // Refund: the proxy grants it with the final count; the rest goes back to the client at once.
        const refund = await sendVoucher(blockchain, proxyOwner, 'refund', account.address, 120_000n, keys.secretKey, {
            value: billingConstant('CLIENT_CLOSE_FEE'),
        });
        expect(refund.transactions).toHaveTransaction({ from: account.address, to: client.address, success: true });
        await payout(blockchain, handle, workerOwner, 120_000n);
        const workerGot = (await workerOwner.getBalance()) - wBefore;
        // Less the gas and the storage reserve its WorkerAccount kept from the first claim.
        expect(workerGot).toBeGreaterThan(120_000n * fee - toNano('0.05') - billingConstant('WORKER_RESERVE'));

        // Close.
        await proxy.send(
            proxyOwner.getSender(),
            { value: toNano('0.05') },
            { $$type: 'RequestProxyClose', queryId: 0n },
        );
        blockchain.now! += Number(params.proxyCloseDelay);
        // The counters as they stand at the close (the Proxy destroys itself in the close transaction).
        const d = await proxy.getProxyData();
        expect(d.chargedUnits).toBe(120_000n);
        expect(d.paidUnits).toBe(120_000n);
        expect(d.chargedTon).toBe(120_000n * price);
        const ownerBefore = await proxyOwner.getBalance();
        const close = await proxy.send(
            proxyOwner.getSender(),
            { value: toNano('0.05') },
            { $$type: 'CompleteProxyClose', queryId: 0n },
        );
        expect(close.transactions).toHaveTransaction({ to: proxy.address, success: true });
        // The owner got back the stake plus the commission (price - fee) on every charged unit, less gas.
        expect((await proxyOwner.getBalance()) - ownerBefore).toBeGreaterThan(
            stake + 120_000n * (price - fee) - toNano('0.2'),
        );

        // Nothing stays behind: the Proxy is gone, the closed ClientAccount holds nothing, the WorkerAccount only its
        // storage reserve (it must outlive every payout voucher, see docs/billing.md).
        const wa = blockchain.openContract(
            WorkerAccount.fromAddress((await workerAccount(blockchain, handle, workerOwner.address)).address),
        );
        expect((await blockchain.getContract(proxy.address)).balance).toBe(0n);
        expect((await blockchain.getContract(account.address)).balance).toBe(0n);
        expect((await blockchain.getContract(wa.address)).balance).toBe(billingConstant('WORKER_RESERVE'));
        // The client paid exactly the charged units (plus gas and the account's reserve).
        const clientSpent = clientStart - (await client.getBalance());
        expect(clientSpent).toBeGreaterThanOrEqual(120_000n * price);
        expect(clientSpent).toBeLessThan(120_000n * price + toNano('0.2'));
    });
});
