import { Address, Transaction } from '@ton/core';
import type { ChainableCommander, Redis } from 'ioredis';
import { Chain, hashToBuffer, TxId } from './chain';
import { DecodedEvent, EventDecoder } from './eventDecoder';

export interface ChainEvent extends DecodedEvent {
    /** The watched contract's label, e.g. 'registry'. */
    contract: string;
    address: Address;
    txLt: bigint;
    txHash: Buffer;
    /** Position of the event among the transaction's external-out messages. */
    index: number;
    /** Unix time of the transaction. */
    time: number;
}

/**
 * Handlers stage their Redis writes on `multi`; the watcher executes them in the same MULTI/EXEC that moves the
 * cursor, so an event's effects and the cursor move together or not at all.
 */
export type EventHandler = (event: ChainEvent, multi: ChainableCommander) => void;

export interface WatchedContract {
    label: string;
    address: Address;
    decoder: EventDecoder;
}

export interface EventWatcherOptions {
    chain: Chain;
    redis: Redis;
    /** Redis key prefix for cursors, e.g. `chrysalis:watcher`. */
    keyPrefix: string;
    contracts: WatchedContract[];
    handlers: EventHandler[];
    /** Called after a transaction's events have been committed (for in-memory views). */
    onCommitted?: (events: ChainEvent[]) => void;
    /** Test hook: runs after handlers staged their writes, before EXEC. Throwing here simulates a crash. */
    beforeCommit?: (tx: Transaction) => void | Promise<void>;
    pageSize?: number;
    pollIntervalMs?: number;
}

/**
 * Follows contracts' transactions from a cursor `(lt, hash)` kept in Redis and hands each event to the handlers
 * exactly once: a transaction's handler writes and its cursor update are one atomic MULTI/EXEC, so a crash before
 * EXEC leaves both undone and the restart fetches the transaction again.
 */
export class EventWatcher {
    private timer: NodeJS.Timeout | null = null;
    private running: Promise<unknown> | null = null;
    private readonly pageSize: number;

    constructor(private readonly options: EventWatcherOptions) {
        this.pageSize = options.pageSize ?? 32;
    }

    /** Processes every transaction newer than the cursors; returns how many events were handled. */
    async pollOnce(): Promise<number> {
        let handled = 0;
        for (const contract of this.options.contracts) handled += await this.pollContract(contract);
        return handled;
    }

    start(): void {
        if (this.timer) return;
        const tick = async () => {
            this.running = this.pollOnce().catch(() => 0);
            await this.running;
            if (this.timer) this.timer = setTimeout(tick, this.options.pollIntervalMs ?? 1000);
        };
        this.timer = setTimeout(tick, 0);
    }

    async stop(): Promise<void> {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        await this.running;
    }

    cursorKey(address: Address): string {
        return `${this.options.keyPrefix}:cursor:${address.toRawString()}`;
    }

    async cursor(address: Address): Promise<TxId | null> {
        const raw = await this.options.redis.get(this.cursorKey(address));
        if (!raw) return null;
        const [lt, hash] = raw.split(':');
        return { lt: BigInt(lt), hash: Buffer.from(hash, 'hex') };
    }

    private async pollContract(contract: WatchedContract): Promise<number> {
        const { chain } = this.options;
        const last = await chain.lastTransaction(contract.address);
        if (!last) return 0;
        const cursor = await this.cursor(contract.address);
        if (cursor && cursor.lt === last.lt && cursor.hash.equals(last.hash)) return 0;

        const pending = await this.fetchSince(contract.address, last, cursor);
        let handled = 0;
        for (const tx of pending.reverse()) handled += await this.apply(contract, tx);
        return handled;
    }

    /** Transactions after `cursor` up to `last`, newest first. */
    private async fetchSince(address: Address, last: TxId, cursor: TxId | null): Promise<Transaction[]> {
        const out: Transaction[] = [];
        let from: TxId | null = last;
        while (from) {
            const page = await this.options.chain.transactionsFrom(address, from, this.pageSize);
            for (const tx of page) {
                if (cursor && tx.lt <= cursor.lt) return out;
                out.push(tx);
            }
            const oldest = page[page.length - 1];
            from =
                page.length === this.pageSize && oldest && oldest.prevTransactionLt !== 0n
                    ? { lt: oldest.prevTransactionLt, hash: hashToBuffer(oldest.prevTransactionHash) }
                    : null;
        }
        return out;
    }

    private async apply(contract: WatchedContract, tx: Transaction): Promise<number> {
        const events = decodeEvents(contract, tx);
        const multi = this.options.redis.multi();
        for (const event of events) for (const handler of this.options.handlers) handler(event, multi);
        multi.set(this.cursorKey(contract.address), `${tx.lt}:${tx.hash().toString('hex')}`);
        await this.options.beforeCommit?.(tx);
        const results = await multi.exec();
        const failed = results?.find(([err]) => err);
        if (!results || failed) throw new Error(`committing events of tx ${tx.lt} failed: ${failed?.[0]?.message}`);
        if (events.length) this.options.onCommitted?.(events);
        return events.length;
    }
}

function decodeEvents(contract: WatchedContract, tx: Transaction): ChainEvent[] {
    const events: ChainEvent[] = [];
    let index = 0;
    for (const message of tx.outMessages.values()) {
        if (message.info.type !== 'external-out') continue;
        const decoded = contract.decoder.decode(message.body);
        if (decoded) {
            events.push({
                ...decoded,
                contract: contract.label,
                address: contract.address,
                txLt: tx.lt,
                txHash: tx.hash(),
                index,
                time: tx.now,
            });
        }
        index++;
    }
    return events;
}
