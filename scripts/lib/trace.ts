import { Address, Cell, CommonMessageInfoInternal, Message, Transaction } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { contractNameOfCode, describeExitCode } from './exitCodes';

/** How long a script waits for the transactions of what it sent (a real network takes seconds per hop). */
export const TRACE_TIMEOUT_MS = Number(process.env.CHRYSALIS_SCRIPT_TIMEOUT_S ?? 180) * 1000;
const POLL_MS = 2000;
/** A governance or billing operation touches a handful of accounts; a longer chain means something loops. */
const MAX_TRANSACTIONS = 64;

type TxRef = { lt: bigint; hash: Buffer };

/** A transaction of the trace that did not go through, with what the contract said. */
export interface Failure {
    address: Address;
    contract: string;
    reason: string;
}

export class TransactionFailed extends Error {
    override readonly name = 'TransactionFailed';
    constructor(
        what: string,
        readonly failure: Failure,
    ) {
        super(`${what} failed: ${failure.contract} ${failure.address.toString()} refused it: ${failure.reason}`);
    }
}

/** The sending wallet's last transaction before it sends, so that its next one can be found. */
export async function lastTransaction(provider: NetworkProvider, address: Address): Promise<TxRef | null> {
    const { last } = await provider.provider(address).getState();
    return last && last.lt > 0n ? { lt: last.lt, hash: last.hash } : null;
}

/**
 * Waits for the wallet's transaction that sent `body` to `to` (after `since`), then for every transaction its
 * messages cause, and returns them all; throws TransactionFailed at the first one that failed (compute or action
 * phase, or a message that bounced off an account without code).
 */
export async function followTrace(
    provider: NetworkProvider,
    what: string,
    wallet: Address,
    since: TxRef | null,
    to: Address,
    body: Cell,
): Promise<Transaction[]> {
    const deadline = Date.now() + TRACE_TIMEOUT_MS;
    const first = await poll(deadline, `the wallet's transaction sending ${what}`, async () =>
        (await newTransactions(provider, wallet, since?.lt ?? 0n)).find((tx) =>
            outgoing(tx).some((m) => m.info.dest.equals(to) && m.body.hash().equals(body.hash())),
        ),
    );
    const trace: Transaction[] = [];
    const queue: Transaction[] = [first];
    while (queue.length > 0) {
        const tx = queue.shift()!;
        trace.push(tx);
        if (trace.length > MAX_TRANSACTIONS) throw new Error(`${what}: more than ${MAX_TRANSACTIONS} transactions`);
        const failure = await failureOf(provider, tx);
        if (failure) throw new TransactionFailed(what, failure);
        for (const m of outgoing(tx)) {
            queue.push(
                await poll(deadline, `the transaction of ${m.info.dest.toString()}`, async () =>
                    (await newTransactions(provider, m.info.dest, m.info.createdLt)).find((t) => receives(t, m)),
                ),
            );
        }
    }
    return trace;
}

type InternalMessage = Message & { info: CommonMessageInfoInternal };

function outgoing(tx: Transaction): InternalMessage[] {
    return [...tx.outMessages.values()].filter((m): m is InternalMessage => m.info.type === 'internal');
}

/** A message is identified by its source and creation lt (each account's lt increases with every message). */
function receives(tx: Transaction, m: InternalMessage): boolean {
    const info = tx.inMessage?.info;
    return info?.type === 'internal' && info.src.equals(m.info.src) && info.createdLt === m.info.createdLt;
}

/** The account's transactions with lt above `after`, newest first. */
async function newTransactions(provider: NetworkProvider, address: Address, after: bigint): Promise<Transaction[]> {
    const contract = provider.provider(address);
    const { last } = await contract.getState();
    if (!last || last.lt <= after) return [];
    const out: Transaction[] = [];
    let cursor: TxRef = last;
    for (;;) {
        const page = await contract.getTransactions(address, cursor.lt, cursor.hash, 16);
        for (const tx of page) if (tx.lt > after && !out.some((o) => o.lt === tx.lt)) out.push(tx);
        const oldest = page[page.length - 1];
        if (page.length < 16 || !oldest || oldest.lt <= after || oldest.prevTransactionLt <= after) return out;
        cursor = { lt: oldest.prevTransactionLt, hash: bigintHash(oldest.prevTransactionHash) };
    }
}

async function failureOf(provider: NetworkProvider, tx: Transaction): Promise<Failure | undefined> {
    const d = tx.description;
    if (d.type !== 'generic') return undefined;
    const address = (tx.inMessage!.info as { dest: Address }).dest;
    let reason: string | undefined;
    if (d.computePhase.type === 'vm' && !d.computePhase.success) {
        reason = describeExitCode(d.computePhase.exitCode);
    } else if (d.computePhase.type === 'skipped' && d.bouncePhase) {
        reason = `the message bounced: no contract code there (${d.computePhase.reason})`;
    } else if (d.actionPhase && !d.actionPhase.success) {
        reason = `action phase result ${describeExitCode(d.actionPhase.resultCode).replace('exit code ', 'code ')}`;
    }
    return reason === undefined ? undefined : { address, contract: await contractAt(provider, address), reason };
}

async function contractAt(provider: NetworkProvider, address: Address): Promise<string> {
    const { state } = await provider.provider(address).getState();
    if (state.type !== 'active' || !state.code) return 'account';
    return contractNameOfCode(Cell.fromBoc(state.code)[0].hash().toString('hex')) ?? 'contract';
}

/**
 * Unix time as the chain sees it, at least: the wall clock, or the time of the account's last transaction if that is
 * later (a sandbox or a chain whose clock runs ahead).
 */
export async function chainTimeAtLeast(provider: NetworkProvider, address: Address): Promise<bigint> {
    const wall = BigInt(Math.floor(Date.now() / 1000));
    const contract = provider.provider(address);
    const { last } = await contract.getState();
    if (!last || last.lt === 0n) return wall;
    const [tx] = await contract.getTransactions(address, last.lt, last.hash, 1);
    return tx && BigInt(tx.now) > wall ? BigInt(tx.now) : wall;
}

async function poll<T>(deadline: number, what: string, find: () => Promise<T | undefined>): Promise<T> {
    for (;;) {
        const found = await find();
        if (found !== undefined) return found;
        if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
    }
}

function bigintHash(hash: bigint): Buffer {
    return Buffer.from(hash.toString(16).padStart(64, '0'), 'hex');
}
