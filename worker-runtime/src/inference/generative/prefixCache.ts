/**
 * Prefix KV cache: the keys and values a finished (or prefilled) request computed, kept by the token ids they cover,
 * so a later request whose prompt starts with the same ids (a shared system prompt, the earlier turns of a chat)
 * skips recomputing them. In a causal model the cache of the first L positions depends only on those L ids, so any
 * common prefix of any entry can be reused. Bounded by bytes, least recently used out first.
 */
export interface KvTensor {
    data: Float32Array;
    /** [1, kvHeads, length, headDim] */
    dims: readonly number[];
}

/** Past keys/values by input name (`past_key_values.{i}.key|value`). */
export type KvState = Map<string, KvTensor>;

interface Entry {
    ids: number[];
    kv: KvState;
    bytes: number;
}

function kvBytes(kv: KvState): number {
    let n = 0;
    for (const t of kv.values()) n += t.data.byteLength;
    return n;
}

/** The first `length` positions of a [1, heads, T, dim] tensor. */
export function sliceKv(t: KvTensor, length: number): KvTensor {
    const [batch, heads, total, dim] = t.dims;
    if (length === total) return t;
    const out = new Float32Array(batch * heads * length * dim);
    for (let h = 0; h < batch * heads; h++) {
        out.set(t.data.subarray(h * total * dim, h * total * dim + length * dim), h * length * dim);
    }
    return { data: out, dims: [batch, heads, length, dim] };
}

export class PrefixCache {
    private entries: Entry[] = [];
    private bytes = 0;

    /** `maxBytes` 0 turns the cache off. */
    constructor(private readonly maxBytes: number) {}

    get size(): { entries: number; bytes: number } {
        return { entries: this.entries.length, bytes: this.bytes };
    }

    /** The longest reusable prefix of `ids`, at most `maxLength` long, with its keys and values (copied to length). */
    lookup(ids: readonly number[], maxLength: number): { length: number; kv: KvState } | undefined {
        let best: Entry | undefined;
        let bestLength = 0;
        for (const e of this.entries) {
            const limit = Math.min(e.ids.length, ids.length, maxLength);
            let n = 0;
            while (n < limit && e.ids[n] === ids[n]) n++;
            if (n > bestLength) {
                best = e;
                bestLength = n;
            }
        }
        if (!best) return undefined;
        // Most recently used last.
        this.entries.splice(this.entries.indexOf(best), 1);
        this.entries.push(best);
        const kv: KvState = new Map();
        for (const [name, t] of best.kv) kv.set(name, sliceKv(t, bestLength));
        return { length: bestLength, kv };
    }

    /** Keeps `kv` (covering exactly `ids`); drops entries it extends, then the least recently used beyond the bound. */
    insert(ids: readonly number[], kv: KvState): void {
        if (this.maxBytes <= 0 || ids.length === 0) return;
        const bytes = kvBytes(kv);
        if (bytes > this.maxBytes) return;
        this.entries = this.entries.filter((e) => {
            const covered = e.ids.length <= ids.length && e.ids.every((id, i) => id === ids[i]);
            if (covered) this.bytes -= e.bytes;
            return !covered;
        });
        // An entry that already covers these ids makes this one redundant.
        if (this.entries.some((e) => e.ids.length >= ids.length && ids.every((id, i) => id === e.ids[i]))) return;
        this.entries.push({ ids: [...ids], kv, bytes });
        this.bytes += bytes;
        while (this.bytes > this.maxBytes) {
            const old = this.entries.shift()!;
            this.bytes -= old.bytes;
        }
    }

    clear(): void {
        this.entries = [];
        this.bytes = 0;
    }
}
