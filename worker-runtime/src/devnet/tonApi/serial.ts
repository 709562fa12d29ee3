/**
 * The TON API's calls, one at a time. The sandbox processes an external message and every message it causes with
 * awaits in between, so a read running alongside could see a chain of messages half done: the value left the sender
 * and has not reached the receiver (a real node answers from one block, never from inside one). The devnet's ledger
 * (ledger.ts) adds up to the nanoton only over states that are whole, so every call runs after the one before it.
 */
export class Serial {
    private last: Promise<unknown> = Promise.resolve();

    run<T>(fn: () => Promise<T>): Promise<T> {
        const next = this.last.then(fn, fn);
        this.last = next.catch(() => undefined);
        return next;
    }
}
