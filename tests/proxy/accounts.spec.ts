/**
 * The proxy's ClientAccount snapshots on a sandbox chain with a real, funded ClientAccount: an account that keeps
 * sending is read again in the background before its snapshot expires (a request never waits for the chain read),
 * an account that went quiet stops costing reads, and an address that is not one of the proxy's accounts is never
 * read in the background.
 */
import { Address, StateInit, toNano } from '@ton/core';
import { Blockchain } from '@ton/sandbox';
import { SandboxChain } from '../../worker-runtime/src/chain';
import { ClientAccount } from '../../wrappers/ClientAccount';
import { deployNetwork, DevnetNetwork } from '../../worker-runtime/src/devnet/deployNetwork';
import { ClientAccounts, KEEP_FRESH_CACHE_PERIODS } from '../../worker-runtime/src/roles/proxy/accounts';
import { ProxyRefusal } from '../../worker-runtime/src/roles/proxy/errors';

jest.setTimeout(60_000);

/** The sandbox chain, counting the state reads of each address (one per snapshot the proxy loads) and getter runs. */
class CountingChain extends SandboxChain {
    readonly reads = new Map<string, number>();
    readonly getters = new Map<string, number>();

    constructor(blockchain: Blockchain) {
        super(blockchain);
        // Every opened contract's getter ends here, whichever provider ran it.
        const run = blockchain.runGetMethod.bind(blockchain);
        blockchain.runGetMethod = (address, ...rest) => {
            const key = address.toRawString();
            this.getters.set(key, (this.getters.get(key) ?? 0) + 1);
            return run(address, ...rest);
        };
    }

    provider(address: Address, init?: StateInit | null) {
        const key = address.toRawString();
        this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
        return super.provider(address, init);
    }

    readsOf(address: Address): number {
        return this.reads.get(address.toRawString()) ?? 0;
    }

    gettersOf(address: Address): number {
        return this.getters.get(address.toRawString()) ?? 0;
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let chain: CountingChain;
let net: DevnetNetwork;
const open: ClientAccounts[] = [];

beforeAll(async () => {
    chain = new CountingChain(await Blockchain.create());
    net = await deployNetwork(chain, { workers: 1, models: ['tiny-mlp'] });
});

// Each test's snapshots stop being kept fresh when it ends: the next one counts only its own reads.
afterEach(() => {
    for (const a of open.splice(0)) a.close();
});

function accounts(cacheMs: number): ClientAccounts {
    const a = new ClientAccounts(chain, net.proxy.contract.address, cacheMs);
    open.push(a);
    return a;
}

test('an account that keeps sending is read in the background: a request after a pause finds a fresh snapshot', async () => {
    const cacheMs = 200;
    const a = accounts(cacheMs);
    const address = net.client.account.address;
    const first = await a.read(address); // loads the identity and the balance
    expect(first.balance).toBeGreaterThan(0n);
    await a.read(address); // a known account asking again: kept fresh from now on
    const before = chain.readsOf(address);
    await sleep(cacheMs * 3);
    // Read again meanwhile, although nobody asked…
    expect(chain.readsOf(address)).toBeGreaterThanOrEqual(before + 2);
    // …so a request after a pause longer than the cache period is answered from memory, with no read of its own.
    const during = chain.readsOf(address);
    const snapshot = await a.read(address);
    expect(chain.readsOf(address)).toBe(during);
    expect(snapshot.balance).toBe(first.balance);
});

test('an account quiet for longer than the keep-fresh window costs no more reads', async () => {
    const cacheMs = 40;
    const a = accounts(cacheMs);
    const address = net.client.account.address;
    await a.read(address);
    await a.read(address);
    await sleep(cacheMs * KEEP_FRESH_CACHE_PERIODS + 300);
    const settled = chain.readsOf(address);
    await sleep(cacheMs * 5);
    expect(chain.readsOf(address)).toBe(settled);
    // Asking again starts it over.
    await a.read(address);
    await sleep(cacheMs * 3);
    expect(chain.readsOf(address)).toBeGreaterThan(settled + 1);
});

test('the getter runs again only after the account had a transaction: unchanged state costs a state read alone', async () => {
    const cacheMs = 40;
    const a = accounts(cacheMs);
    const address = net.client.account.address;
    const first = await a.read(address);
    await a.read(address);
    const getters = chain.gettersOf(address);
    const reads = chain.readsOf(address);
    await sleep(cacheMs * 4);
    // Read again in the background (state reads), the getter not run: nothing happened to the account.
    expect(chain.readsOf(address)).toBeGreaterThan(reads + 1);
    expect(chain.gettersOf(address)).toBe(getters);
    expect((await a.read(address)).balance).toBe(first.balance);
    // A top-up is a transaction: the next read runs the getter and sees the new balance.
    await chain
        .open(ClientAccount.fromAddress(address))
        .send(net.treasury.getSender(), { value: toNano('2') }, { $$type: 'TopUp', queryId: 0n });
    const after = await a.read(address, true);
    expect(chain.gettersOf(address)).toBe(getters + 1);
    expect(after.balance).toBeGreaterThan(first.balance + toNano('1.9'));
});

test('an address that is not an account of this proxy is refused and never read in the background', async () => {
    const cacheMs = 40;
    const a = accounts(cacheMs);
    const stranger = net.treasury.address; // a deployed contract, not a ClientAccount
    for (let i = 0; i < 3; i++) await expect(a.read(stranger)).rejects.toBeInstanceOf(ProxyRefusal);
    const after = chain.readsOf(stranger);
    await sleep(cacheMs * 5);
    expect(chain.readsOf(stranger)).toBe(after);
});

test('close stops the background reads', async () => {
    const cacheMs = 40;
    const a = accounts(cacheMs);
    const address = net.client.account.address;
    await a.read(address);
    await a.read(address);
    a.close();
    const closedAt = chain.readsOf(address);
    await sleep(cacheMs * 5);
    expect(chain.readsOf(address)).toBe(closedAt);
});
