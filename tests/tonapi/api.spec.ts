/**
 * The devnet's TON API (worker-runtime/src/devnet/tonApi) as `@ton/ton` uses it: TonClient and TonChain read the
 * registry's getters through it, a wallet funded by the faucet deploys and sends through it, transactions page as
 * toncenter pages them, the clock advances, and what toncenter refuses is refused with toncenter's error shape.
 */
import { Address, beginCell, Cell, external, internal, Message, SendMode, storeMessage, toNano } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { Blockchain } from '@ton/sandbox';
import { TonClient, WalletContractV5R1 } from '@ton/ton';
import { TonChain } from '../../worker-runtime/src/chain';
import { startTonApi, TonApi } from '../../worker-runtime/src/devnet/tonApi';
import { walletContract, walletSender } from '../../worker-runtime/src/cli/networkConfig';
import { adminSend } from '../fixtures/workerNetwork';
import { deployNetwork, hashOf, Network, registerWorker } from '../fixtures/network';
import { Registry } from '../../wrappers/Registry';

jest.setTimeout(120_000);

/** A getter's result with addresses as strings (Address objects carry closures, which toEqual compares). */
function plain(value: unknown): unknown {
    if (Address.isAddress(value)) return value.toString();
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}

/** One JSON-RPC call as any toncenter client makes it; answers the HTTP status and the body. */
async function rpc(api: TonApi, method: string, params: Record<string, unknown>) {
    const res = await fetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: '7', jsonrpc: '2.0', method, params }),
    });
    return {
        status: res.status,
        body: (await res.json()) as { ok: boolean; result?: any; error?: string; code?: number; id?: string },
    };
}

async function adminPost(api: TonApi, name: string, body: unknown) {
    const res = await fetch(`${api.baseUrl}/admin/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { ok: boolean; result?: any; error?: string } };
}

describe('the TON API over the registry fixture', () => {
    let net: Network;
    let api: TonApi;

    beforeAll(async () => {
        net = await deployNetwork();
        await registerWorker(net, 'api-spec-worker');
        api = await startTonApi({ blockchain: net.blockchain });
    });
    afterAll(async () => {
        await api.close();
    });

    it("TonClient reads the registry's getters as the sandbox does; TonChain reads the nested ones too", async () => {
        const client = new TonClient({ endpoint: api.url });
        const viaClient = client.open(Registry.fromAddress(net.registry.address));
        expect(plain(await viaClient.getParams())).toEqual(plain(await net.registry.getParams()));
        expect(plain(await viaClient.getGovernance())).toEqual(plain(await net.registry.getGovernance()));
        expect(await viaClient.getParamsVersion()).toBe(await net.registry.getParamsVersion());
        expect((await viaClient.getWorkerImages()).keys()).toEqual((await net.registry.getWorkerImages()).keys());
        expect((await viaClient.getModels()).values()).toEqual((await net.registry.getModels()).values());
        // A struct inside the stack: TonClient 16.3 hands its fields over bare, so the wrapper cannot read them (as
        // against toncenter itself); TonChain parses the stack whole.
        await expect(viaClient.getModel(net.modelHash)).rejects.toThrow(/Not a/);
        const chain = new TonChain({ network: 'devnet', endpoint: api.url });
        const viaChain = chain.open(Registry.fromAddress(net.registry.address));
        expect(plain(await viaChain.getModel(net.modelHash))).toEqual(
            plain(await net.registry.getModel(net.modelHash)),
        );
        expect(await viaChain.getModel(hashOf('no such model'))).toBeNull();
        expect(plain(await viaChain.getGovernance())).toEqual(plain(await net.registry.getGovernance()));
        expect(await chain.balance(net.registry.address)).toBe(
            (await net.blockchain.getContract(net.registry.address)).balance,
        );
    });

    it("runGetMethod answers in toncenter's stack format, with the exit code of a failing or missing method", async () => {
        const version = await rpc(api, 'runGetMethod', {
            address: net.registry.address.toString(),
            method: 'paramsVersion',
            stack: [],
        });
        expect(version.body).toMatchObject({ ok: true, id: '7', result: { exit_code: 0, stack: [['num', '0x1']] } });
        const missing = await rpc(api, 'runGetMethod', { address: net.registry.address.toString(), method: 'nope' });
        expect(missing.body.result.exit_code).toBe(11);
        const nobody = await rpc(api, 'runGetMethod', {
            address: new Address(0, Buffer.alloc(32, 3)).toString(),
            method: 'seqno',
        });
        expect(nobody.body.result).toMatchObject({ exit_code: -13, stack: [] });
        // An argument in toncenter's input format: the model getter with the model's hash.
        const model = await rpc(api, 'runGetMethod', {
            address: net.registry.address.toString(),
            method: 'model',
            stack: [['num', `0x${net.modelHash.toString(16)}`]],
        });
        expect(model.body.result.stack[0][0]).toBe('tuple');
    });

    it('pages transactions newest first from an inclusive (lt, hash), down to to_lt, as toncenter does', async () => {
        for (let i = 0; i < 5; i++) {
            await adminSend(net, { $$type: 'AllowWorkerImage', queryId: 0n, imageHash: hashOf(`paging-${i}`) });
        }
        const sandboxTxs = [...(await net.blockchain.getTransactions(net.registry.address))].sort((a, b) =>
            a.lt < b.lt ? 1 : a.lt > b.lt ? -1 : 0,
        );
        const client = new TonClient({ endpoint: api.url });
        const all: string[] = [];
        let page = await client.getTransactions(net.registry.address, { limit: 3 });
        while (page.length) {
            all.push(...page.map((tx) => `${tx.lt}:${tx.hash().toString('hex')}`));
            const oldest = page[page.length - 1];
            if (oldest.prevTransactionLt === 0n) break;
            page = await client.getTransactions(net.registry.address, {
                limit: 3,
                lt: oldest.prevTransactionLt.toString(),
                hash: Buffer.from(oldest.prevTransactionHash.toString(16).padStart(64, '0'), 'hex').toString('base64'),
                inclusive: true,
            });
        }
        expect(all).toEqual(sandboxTxs.map((tx) => `${tx.lt}:${tx.hash().toString('hex')}`));
        // Non-inclusive (TonClient asks for one more and drops the first) and to_lt (exclusive).
        const [newest, second, third] = sandboxTxs;
        const after = await client.getTransactions(net.registry.address, {
            limit: 2,
            lt: newest.lt.toString(),
            hash: newest.hash().toString('base64'),
        });
        expect(after.map((tx) => tx.lt)).toEqual([second.lt, third.lt]);
        const upTo = await rpc(api, 'getTransactions', {
            address: net.registry.address.toString(),
            limit: 10,
            to_lt: third.lt.toString(),
        });
        expect(upTo.body.result.map((t: { transaction_id: { lt: string } }) => t.transaction_id.lt)).toEqual([
            newest.lt.toString(),
            second.lt.toString(),
        ]);
        // The JSON fields toncenter sends, for a transaction of the registry.
        expect(upTo.body.result[0]).toMatchObject({
            '@type': 'raw.transaction',
            address: { account_address: net.registry.address.toString() },
            transaction_id: { lt: newest.lt.toString(), hash: newest.hash().toString('base64') },
            fee: newest.totalFees.coins.toString(),
            in_msg: { source: net.owner.address.toString(), destination: net.registry.address.toString() },
        });
        // A start transaction that is not there: toncenter's liteserver error.
        const wrong = await rpc(api, 'getTransactions', {
            address: net.registry.address.toString(),
            lt: newest.lt.toString(),
            hash: Buffer.alloc(32).toString('hex'),
        });
        expect(wrong.status).toBe(500);
        expect(wrong.body).toMatchObject({ ok: false, code: 500, id: '7' });
        expect(wrong.body.error).toMatch(/LITE_SERVER_UNKNOWN: cannot locate transaction/);
    });

    it('refuses bad parameters and unknown methods with a named reason, as toncenter answers them', async () => {
        const bad = await rpc(api, 'getAddressInformation', { address: 'not-an-address' });
        expect(bad).toMatchObject({ status: 422, body: { ok: false, code: 422 } });
        expect(bad.body.error).toContain('not-an-address');
        const limit = await rpc(api, 'getTransactions', { address: net.registry.address.toString(), limit: 1000 });
        expect(limit.body.error).toBe('limit must be from 1 to 100, got 1000');
        const unknown = await rpc(api, 'getBlockHeader', {});
        expect(unknown).toMatchObject({ status: 404, body: { ok: false } });
        expect(unknown.body.error).toMatch(/getBlockHeader is not served/);
        const internalMessage: Message = {
            info: {
                type: 'internal',
                ihrDisabled: true,
                bounce: false,
                bounced: false,
                src: net.owner.address,
                dest: net.registry.address,
                value: { coins: toNano('1') },
                ihrFee: 0n,
                forwardFee: 0n,
                createdLt: 0n,
                createdAt: 0,
            },
            body: Cell.EMPTY,
        };
        const internalBoc = beginCell().store(storeMessage(internalMessage)).endCell().toBoc().toString('base64');
        const sent = await rpc(api, 'sendBoc', { boc: internalBoc });
        expect(sent.body.error).toBe('boc must be an inbound external message, got internal');
        // The REST form of a method.
        const rest = await fetch(`${api.baseUrl}/api/v2/getAddressBalance?address=${net.registry.address.toString()}`);
        expect(await rest.json()).toMatchObject({
            ok: true,
            result: (await net.blockchain.getContract(net.registry.address)).balance.toString(),
        });
    });
});

describe('a wallet through the TON API of a fresh chain', () => {
    let blockchain: Blockchain;
    let api: TonApi;

    beforeAll(async () => {
        blockchain = await Blockchain.create();
        blockchain.now = Math.floor(Date.now() / 1000);
        api = await startTonApi({ blockchain });
    });
    afterAll(async () => {
        await api.close();
    });

    it('is funded by the faucet, deploys with its first transfer and sends; a replay is refused', async () => {
        const keys = await mnemonicToPrivateKey(await mnemonicNew());
        const client = new TonClient({ endpoint: api.url });
        const wallet = client.open(
            WalletContractV5R1.create({ publicKey: keys.publicKey, walletId: { networkGlobalId: -3 } }),
        );
        expect(await client.isContractDeployed(wallet.address)).toBe(false);

        const funded = await adminPost(api, 'fund', {
            address: wallet.address.toString({ bounceable: false, testOnly: true }),
            amount: '25.5',
        });
        expect(funded.body).toMatchObject({ ok: true, result: { amount: '25.5', balance: '25.5' } });
        expect(await client.getBalance(wallet.address)).toBe(toNano('25.5'));
        expect((await client.getContractState(wallet.address)).state).toBe('uninitialized');

        const recipient = new Address(0, Buffer.alloc(32, 9));
        const transfer = wallet.createTransfer({
            seqno: 0,
            secretKey: keys.secretKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY,
            messages: [internal({ to: recipient, value: toNano('2'), bounce: false, body: 'hello devnet' })],
        });
        const fee = await client.estimateExternalMessageFee(wallet.address, {
            body: transfer,
            initCode: wallet.init.code,
            initData: wallet.init.data,
            ignoreSignature: true,
        });
        expect(fee.source_fees.gas_fee).toBeGreaterThan(0);
        expect(await client.isContractDeployed(wallet.address)).toBe(false); // the estimate changed nothing

        await wallet.send(transfer); // TonClient adds the state init: the wallet is not deployed yet
        expect(await client.isContractDeployed(wallet.address)).toBe(true);
        expect(await wallet.getSeqno()).toBe(1);
        expect(await client.getBalance(recipient)).toBe(toNano('2'));
        const [last] = await client.getTransactions(wallet.address, { limit: 1 });
        expect(last.inMessage?.info.type).toBe('external-in');
        const json = await rpc(api, 'getTransactions', { address: recipient.toString(), limit: 1 });
        expect(json.body.result[0].in_msg.msg_data).toEqual({
            '@type': 'msg.dataText',
            text: Buffer.from('hello devnet').toString('base64'),
        });

        // The same signed transfer again: the wallet refuses it (seqno), and toncenter's error says so.
        const replay = await rpc(api, 'sendBoc', {
            boc: beginCell()
                .store(storeMessage(external({ to: wallet.address, body: transfer })))
                .endCell()
                .toBoc()
                .toString('base64'),
        });
        expect(replay.status).toBe(500);
        expect(replay.body.error).toMatch(
            /cannot apply external message to current state : External message was not accepted/,
        );
        expect(await wallet.getSeqno()).toBe(1);

        // sendBocReturnHash answers the message's hash.
        const next = wallet.createTransfer({
            seqno: 1,
            secretKey: keys.secretKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY,
            messages: [internal({ to: recipient, value: toNano('1'), bounce: false })],
        });
        const message = beginCell()
            .store(storeMessage(external({ to: wallet.address, body: next })))
            .endCell();
        const hashed = await rpc(api, 'sendBocReturnHash', { boc: message.toBoc().toString('base64') });
        expect(hashed.body.result.hash).toBe(message.hash().toString('base64'));
        const [received] = await client.getTransactions(recipient, { limit: 1 });
        const info = received.inMessage?.info;
        expect(info?.type === 'internal' && info.src.equals(wallet.address) && info.value.coins).toBe(toNano('1'));
    });

    it('the faucet refuses what it cannot send, and names why', async () => {
        const to = new Address(0, Buffer.alloc(32, 4)).toString();
        expect((await adminPost(api, 'fund', { address: to, amount: '0' })).body.error).toMatch(/more than 0/);
        expect((await adminPost(api, 'fund', { address: to, amount: '1.5 TON' })).body.error).toMatch(
            /amount must be an amount of TON/,
        );
        expect((await adminPost(api, 'fund', { address: 'nope', amount: '1' })).status).toBe(422);
        expect((await blockchain.getContract(Address.parse(to))).balance).toBe(0n);
    });

    it('the clock follows wall time, and the admin call advances it for delays', async () => {
        const client = new TonClient({ endpoint: api.url });
        const somewhere = new Address(0, Buffer.alloc(32, 5));
        const before = (await client.getContractState(somewhere)).timestampt;
        const advanced = await adminPost(api, 'advance', { seconds: 3600 });
        expect(advanced.body.result.now).toBeGreaterThanOrEqual(before + 3600);
        expect((await client.getContractState(somewhere)).timestampt).toBeGreaterThanOrEqual(before + 3600);
        expect(blockchain.now).toBeGreaterThanOrEqual(before + 3600);
        // A transaction now runs at the advanced time.
        await adminPost(api, 'fund', { address: somewhere.toString(), amount: '1' });
        const [tx] = await client.getTransactions(somewhere, { limit: 1 });
        expect(tx.now).toBeGreaterThanOrEqual(before + 3600);
        expect((await adminPost(api, 'advance', { seconds: -5 })).status).toBe(422);
    });

    it('TonChain keeps a devnet clock reading briefly, yet sees an advance as soon as it is answered', async () => {
        const chain = new TonChain({ network: 'devnet', endpoint: api.url });
        const before = await chain.now();
        // The reading just taken is kept; the advance answers only once no kept reading predates it.
        await adminPost(api, 'advance', { seconds: 600 });
        expect(await chain.now()).toBeGreaterThanOrEqual(before + 600);
    });

    it("chrysalis wallet senders sign with the chain's time, so they still work once the clock is advanced", async () => {
        const keys = await mnemonicToPrivateKey(await mnemonicNew());
        const chain = new TonChain({ network: 'devnet', endpoint: api.url });
        const wallet = chain.open(walletContract('v4', 'devnet', keys.publicKey));
        await api.faucet.fund(wallet.address, toNano('5'));
        await adminPost(api, 'advance', { seconds: 7200 });
        const to = new Address(0, Buffer.alloc(32, 6));
        // @ton/ton's own sender signs for 60 s of this machine's clock: two hours late for the chain.
        await expect(wallet.sender(keys.secretKey).send({ to, value: toNano('1'), bounce: false })).rejects.toThrow(
            /External message was not accepted.*exit code 36/,
        );
        await walletSender(chain, wallet, keys.secretKey).send({ to, value: toNano('1'), bounce: false });
        expect(await wallet.getSeqno()).toBe(1);
        expect(await chain.balance(to)).toBeGreaterThan(toNano('0.99'));
    });

    it("follows the sandbox's history when a snapshot is loaded (the chain is rewound)", async () => {
        const to = new Address(0, Buffer.alloc(32, 8));
        const snapshot = blockchain.snapshot();
        await api.faucet.fund(to, toNano('1'));
        expect((await rpc(api, 'getTransactions', { address: to.toString() })).body.result).toHaveLength(1);
        await blockchain.loadFrom(snapshot);
        expect((await rpc(api, 'getTransactions', { address: to.toString() })).body.result).toHaveLength(0);
        await api.faucet.fund(to, toNano('2'));
        const [tx] = (await rpc(api, 'getTransactions', { address: to.toString() })).body.result;
        expect(tx.in_msg.value).toBe(toNano('2').toString());
    });

    it('keeps an idle connection longer than the client does, so a busy process does not reset it', async () => {
        const chain = new TonChain({ network: 'devnet', endpoint: api.url });
        const somewhere = new Address(0, Buffer.alloc(32, 10));
        await chain.balance(somewhere);
        // The process runs nothing else for longer than the clients' (and Node's default servers') 5 s keep-alive,
        // as when the sandbox runs a long cascade: the pooled connection must still be usable afterwards.
        const until = Date.now() + 6000;
        while (Date.now() < until);
        expect(await chain.balance(somewhere)).toBe(0n);
    });

    it('a time scale runs the chain faster than the wall clock', async () => {
        const fast = await startTonApi({ blockchain: await Blockchain.create(), timeScale: 1000 });
        try {
            const t0 = ((await (await fetch(`${fast.baseUrl}/admin/time`)).json()) as { result: { now: number } })
                .result.now;
            await new Promise((r) => setTimeout(r, 100));
            const t1 = ((await (await fetch(`${fast.baseUrl}/admin/time`)).json()) as { result: { now: number } })
                .result.now;
            // At least 100 ms of wall time passed: at least 100 s of chain time.
            expect(t1 - t0).toBeGreaterThanOrEqual(99);
        } finally {
            await fast.close();
        }
    });
});
