/**
 * UTF-8-safe incremental detokenisation (the offsets method vLLM uses): each step decodes a short window of recent
 * ids and emits only the text that is new and complete. A byte-level token can end in the middle of a multi-byte
 * character; its decode then ends in U+FFFD, and that text is held back until the next token completes it.
 * Decoding a window with a few ids of left context (not only the new ids) keeps tokenizers whose pieces depend on
 * their neighbours (leading-space handling) right.
 */
export class IncrementalText {
    private prefixOffset = 0;
    private readOffset = 0;
    /** All text emitted so far. */
    emitted = '';

    constructor(private readonly decode: (ids: readonly number[]) => string) {}

    /** The new complete text after `ids` (all completion ids so far, the newest last). */
    push(ids: readonly number[]): string {
        const prefixText = this.decode(ids.slice(this.prefixOffset, this.readOffset));
        const newText = this.decode(ids.slice(this.prefixOffset));
        if (newText.length > prefixText.length && !newText.endsWith('\uFFFD')) {
            const delta = newText.slice(prefixText.length);
            this.prefixOffset = this.readOffset;
            this.readOffset = ids.length;
            this.emitted += delta;
            return delta;
        }
        return '';
    }
}
