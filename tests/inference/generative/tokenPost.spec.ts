import { PostedToken, TokenPost } from '../../../worker-runtime/src/inference/generative/tokenPost';
import { TokenEvent } from '../../../worker-runtime/src/inference';

const ev = (index: number): TokenEvent => ({ index, tokenId: 100 + index, textDelta: `t${index}` });
/** The posted messages, each as "id:index" strings. */
function harness() {
    const posted: string[][] = [];
    const post = new TokenPost((tokens: PostedToken[]) => posted.push(tokens.map((t) => `${t.id}:${t.event.index}`)));
    return { post, posted };
}

describe('token events leave the engine thread one message per round', () => {
    it('a lone request: every token leaves at once', () => {
        const { post, posted } = harness();
        for (let i = 0; i < 3; i++) post.add(1, ev(i));
        expect(posted).toEqual([['1:0'], ['1:1'], ['1:2']]);
    });

    it('interleaved requests: first tokens at once, then one message per complete round', () => {
        const { post, posted } = harness();
        post.add(1, ev(0));
        post.add(2, ev(0));
        post.add(3, ev(0));
        expect(posted).toEqual([['1:0'], ['2:0'], ['3:0']]);
        post.add(1, ev(1));
        post.add(2, ev(1));
        expect(posted).toHaveLength(3); // the round is not complete: they wait for request 3's step
        post.add(3, ev(1));
        expect(posted[3]).toEqual(['1:1', '2:1', '3:1']);
    });

    it('a token never waits past its own next step: a request that steps twice flushes its first token', () => {
        const { post, posted } = harness();
        post.add(1, ev(0));
        post.add(2, ev(0));
        post.add(1, ev(1));
        post.add(1, ev(2)); // request 2 is slow (e.g. a long prefill elsewhere): 1:1 leaves before 1:2 is added
        expect(posted).toEqual([['1:0'], ['2:0'], ['1:1']]);
        post.add(2, ev(1));
        expect(posted[3]).toEqual(['1:2', '2:1']);
    });

    it('a finished request flushes the batch before its result and no longer counts for the round', () => {
        const { post, posted } = harness();
        post.add(1, ev(0));
        post.add(2, ev(0));
        post.add(1, ev(1));
        post.settle(2); // request 2 ended: its result follows; 1:1 must not stay behind
        expect(posted.at(-1)).toEqual(['1:1']);
        post.add(1, ev(2)); // alone now: at once
        expect(posted.at(-1)).toEqual(['1:2']);
        post.flush();
        expect(posted).toHaveLength(4); // nothing left to flush
    });
});
