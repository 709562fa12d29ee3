import { TokenEvent } from './types';

export interface PostedToken {
    id: number;
    event: TokenEvent;
}

/**
 * The engine thread's token events on their way to the main thread, one message per round of the interleaved
 * requests instead of one per token: each message wakes the main thread's event loop, and the tokens of one
 * message are handled (and written to their chunk streams, in one Redis write) in one turn there.
 *
 * A token never waits past its own request's next decode step, nor past a change in who is decoding: the batch
 * leaves when every decoding request has a token in it (the round is complete), when a request that already has one
 * in it samples another, on a request's first token (time to first token), and before a request's result or error
 * (`settle`) or a new request's prefill (`flush`). With one request decoding, every token leaves at once.
 */
export class TokenPost {
    private batch: PostedToken[] = [];
    private readonly inBatch = new Set<number>();
    /** Requests that have sampled a token and not finished. */
    private readonly decoding = new Set<number>();

    constructor(private readonly post: (tokens: PostedToken[]) => void) {}

    add(id: number, event: TokenEvent): void {
        if (this.inBatch.has(id)) this.flush();
        this.batch.push({ id, event });
        this.inBatch.add(id);
        const first = !this.decoding.has(id);
        this.decoding.add(id);
        if (first || this.inBatch.size >= this.decoding.size) this.flush();
    }

    /** The request is done: its tokens leave before its result does. */
    settle(id: number): void {
        this.flush();
        this.decoding.delete(id);
    }

    flush(): void {
        if (this.batch.length === 0) return;
        const tokens = this.batch;
        this.batch = [];
        this.inBatch.clear();
        this.post(tokens);
    }
}
