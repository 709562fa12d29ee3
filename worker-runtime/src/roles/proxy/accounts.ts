/**
 * The client side of admission to the queue: is this ClientAccount one of ours, who owns it, which key signs for
 * it, and can it pay? Everything is read from the chain: the account's getter, the Proxy's address derivation (so a
 * look-alike contract elsewhere cannot pose as an account) and the owner wallet's `get_public_key`.
 */
import { Address } from '@ton/core';
import { Chain } from '../../chain';
import { ClientAccount, ClientAccountData, ClientState } from '../../../../wrappers/ClientAccount';
import { Proxy } from '../../../../wrappers/Proxy';
import { refuse } from './errors';

export interface AccountSnapshot {
    address: Address;
    owner: Address;
    /** The owner wallet's Ed25519 public key: the key that signs this account's requests. */
    ownerPublicKey: Buffer;
    /** nanoTON available to charges (held − stake − reserve, as the contract computes it). */
    balance: bigint;
    stake: bigint;
    /** Billing units already charged on chain. */
    charged: bigint;
    state: bigint;
    /** nanoTON per billing unit. */
    price: bigint;
}

interface Identity {
    owner: Address;
    ownerPublicKey: Buffer;
}

/**
 * An account that sent a request within this many cache periods is read again in the background before its snapshot
 * expires (at most this many chain reads after its last request).
 */
export const KEEP_FRESH_CACHE_PERIODS = 10;

/** Reads and caches ClientAccount facts: identities forever (they cannot change), balances for `cacheMs`. */
export class ClientAccounts {
    private readonly identities = new Map<string, Identity>();
    private readonly balances = new Map<string, { at: number; snapshot: AccountSnapshot }>();
    private readonly reading = new Map<string, Promise<AccountSnapshot>>();
    /** The getter's last answer per account, with the transaction (lt:hash) it was read after. */
    private readonly getterAnswers = new Map<string, { last: string; data: ClientAccountData }>();
    /** When each account last asked for its snapshot, and the timer that keeps it fresh meanwhile. */
    private readonly active = new Map<string, { askedAt: number; account: Address; timer?: NodeJS.Timeout }>();
    private closed = false;

    constructor(
        private readonly chain: Chain,
        private readonly proxyAddress: Address,
        private readonly cacheMs: number,
    ) {}

    /**
     * The account's current state, or a 402 refusal when it is not an account of this proxy. A snapshot is never
     * older than `cacheMs`; one past 80 % of that is answered at once and read again in the background, and an
     * account that sent a request within the last `KEEP_FRESH_CACHE_PERIODS` cache periods is read again at 80 %
     * by a timer, so an account that keeps sending, even one request per second (a long generation, then the
     * next), never waits for a chain read: the read is off the path to the first token.
     */
    async read(account: Address, fresh = false): Promise<AccountSnapshot> {
        const key = account.toRawString();
        // Only an account known to be one of ours: a stream of requests for made-up accounts costs no reads later.
        if (this.identities.has(key)) this.keepFresh(account, key);
        const cached = this.balances.get(key);
        const age = cached ? Date.now() - cached.at : Infinity;
        if (!fresh && cached && age < this.cacheMs) {
            if (age >= this.cacheMs * 0.8 && !this.reading.has(key))
                void this.reload(account, key).catch(() => undefined);
            return cached.snapshot;
        }
        return this.reload(account, key);
    }

    /** One chain read per account at a time: otherwise every request in flight would run the same getters at once. */
    private async reload(account: Address, key: string): Promise<AccountSnapshot> {
        const pending = this.reading.get(key);
        if (pending) return pending;
        const reading = this.load(account, key);
        this.reading.set(key, reading);
        try {
            return await reading;
        } finally {
            this.reading.delete(key);
        }
    }

    private async load(account: Address, key: string): Promise<AccountSnapshot> {
        const data = await this.accountData(account);
        const identity = await this.identity(account, data.owner, data.proxy, data.opening);
        const snapshot: AccountSnapshot = {
            address: account,
            owner: identity.owner,
            ownerPublicKey: identity.ownerPublicKey,
            balance: data.balance,
            stake: data.stake,
            charged: data.charged,
            state: data.state,
            price: data.price,
        };
        this.balances.set(key, { at: Date.now(), snapshot });
        return snapshot;
    }

    /**
     * The key that signs the account's requests. An account's owner never changes, so once read it is answered from
     * memory: authenticating a request (and refusing a forged one) costs no chain read.
     */
    async ownerPublicKey(account: Address): Promise<Buffer> {
        const known = this.identities.get(account.toRawString());
        if (known) return known.ownerPublicKey;
        return (await this.read(account)).ownerPublicKey;
    }

    /** Forget a cached balance (after a charge the proxy itself caused, or a refusal). */
    invalidate(account: Address): void {
        this.balances.delete(account.toRawString());
    }

    /** Stops the background reads. */
    close(): void {
        this.closed = true;
        for (const a of this.active.values()) clearTimeout(a.timer);
        this.active.clear();
    }

    /** Notes the request and, while the account stays active, re-reads its snapshot at 80 % of the cache period. */
    private keepFresh(account: Address, key: string): void {
        if (this.cacheMs <= 0 || this.closed) return;
        const known = this.active.get(key);
        if (known) {
            known.askedAt = Date.now();
            return;
        }
        const entry: { askedAt: number; account: Address; timer?: NodeJS.Timeout } = { askedAt: Date.now(), account };
        this.active.set(key, entry);
        const tick = () => {
            if (this.closed) return;
            if (Date.now() - entry.askedAt > this.cacheMs * KEEP_FRESH_CACHE_PERIODS) {
                this.active.delete(key);
                return;
            }
            const cached = this.balances.get(key);
            // A read in flight (a request's) is waited for rather than repeated.
            const reload =
                this.reading.get(key) ??
                (!cached || Date.now() - cached.at >= this.cacheMs * 0.8
                    ? this.reload(entry.account, key)
                    : Promise.resolve(undefined));
            // A read that fails (the account closed, the chain unreachable) ends the background reads.
            reload.then(schedule, () => this.active.delete(key));
        };
        const schedule = () => {
            if (this.closed || this.active.get(key) !== entry) return;
            const cached = this.balances.get(key);
            const due = cached ? Math.max(0, cached.at + this.cacheMs * 0.8 - Date.now()) : this.cacheMs * 0.8;
            entry.timer = setTimeout(tick, due);
            entry.timer.unref();
        };
        schedule();
    }

    private async accountData(account: Address) {
        const key = account.toRawString();
        const state = await this.chain.provider(account).getState();
        if (state.state.type !== 'active') {
            refuse('unknown_account', `no ClientAccount is deployed at ${account.toString()}: open one first`);
        }
        // The getter reads the contract's storage and balance, which only a transaction changes: while the account's
        // last transaction is the one read before, so is the answer (a getter run costs the chain far more than the
        // state read that tells).
        const last = state.last ? `${state.last.lt}:${state.last.hash.toString('hex')}` : null;
        const known = this.getterAnswers.get(key);
        if (last !== null && known?.last === last) return known.data;
        let data: ClientAccountData;
        try {
            data = await this.chain.open(ClientAccount.fromAddress(account)).getAccountData();
        } catch {
            return refuse('unknown_account', `${account.toString()} is not a ClientAccount`);
        }
        if (last !== null) this.getterAnswers.set(key, { last, data });
        return data;
    }

    private async identity(account: Address, owner: Address, proxy: Address, opening: bigint): Promise<Identity> {
        const key = account.toRawString();
        const known = this.identities.get(key);
        if (known) return known;
        if (!proxy.equals(this.proxyAddress)) {
            refuse('unknown_account', `${account.toString()} is an account of another proxy (${proxy.toString()})`);
        }
        // The account's own getter could lie; the address the Proxy derives for this owner and opening cannot.
        const expected = await this.chain
            .open(Proxy.fromAddress(this.proxyAddress))
            .getClientAccountAddress(owner, opening);
        if (!expected.equals(account)) {
            refuse(
                'unknown_account',
                `${account.toString()} is not the ClientAccount this proxy derives for its owner`,
            );
        }
        const identity = { owner, ownerPublicKey: await this.walletPublicKey(owner) };
        this.identities.set(key, identity);
        return identity;
    }

    private async walletPublicKey(owner: Address): Promise<Buffer> {
        try {
            const res = await this.chain.provider(owner).get('get_public_key', []);
            return Buffer.from(res.stack.readBigNumber().toString(16).padStart(64, '0'), 'hex');
        } catch {
            return refuse(
                'unknown_account',
                `the account owner ${owner.toString()} is not a wallet with get_public_key: requests cannot be authenticated`,
            );
        }
    }
}

export { ClientState };
