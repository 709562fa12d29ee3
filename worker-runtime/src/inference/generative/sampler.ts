/**
 * Token selection from one position's logits: greedy (argmax, lowest id on ties) or sampled with temperature, then
 * top-k, then top-p (nucleus), from a per-request generator. Each request owns its generator, seeded from the request
 * (the client's seed, else one derived from the request id), so a seeded request gives the same tokens whatever else
 * runs at the same time — which the receipts rely on (one request, one output).
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors';

export interface SamplingParams {
    /** 0 or absent: greedy. */
    temperature?: number;
    /** Keep the k most likely tokens (0 or absent: all). */
    topK?: number;
    /** Keep the smallest set whose probability reaches p (1 or absent: all). */
    topP?: number;
}

/** xoshiro128**: small, fast, and its whole state comes from the seed (no global state). */
export class SeededRandom {
    private s: Uint32Array;
    constructor(seedMaterial: string) {
        const h = createHash('sha256').update(seedMaterial).digest();
        this.s = new Uint32Array([h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)]);
        if (this.s.every((v) => v === 0)) this.s[0] = 1;
    }

    /** Uniform in [0, 1) with 32 bits of resolution. */
    next(): number {
        const s = this.s;
        const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
        const t = s[1] << 9;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 11);
        return result / 4294967296;
    }
}

function rotl(x: number, k: number): number {
    return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator of one request: from its seed when given, else from its id (so a repeat samples the same way). */
export function requestRandom(seed: number | undefined, requestId: string | undefined, fallback: string): SeededRandom {
    if (seed !== undefined) return new SeededRandom(`seed:${seed}`);
    if (requestId !== undefined) return new SeededRandom(`request:${requestId}`);
    return new SeededRandom(`prompt:${fallback}`);
}

export function validateSampling(p: SamplingParams): void {
    if (p.temperature !== undefined && !(Number.isFinite(p.temperature) && p.temperature >= 0)) {
        throw new InvalidInputError(`temperature must be a number ≥ 0, got ${p.temperature}`);
    }
    if (p.topP !== undefined && !(Number.isFinite(p.topP) && p.topP > 0 && p.topP <= 1)) {
        throw new InvalidInputError(`top_p must be in (0, 1], got ${p.topP}`);
    }
    if (p.topK !== undefined && !(Number.isSafeInteger(p.topK) && p.topK >= 0)) {
        throw new InvalidInputError(`top_k must be an integer ≥ 0, got ${p.topK}`);
    }
}

export function argmax(logits: Float32Array, banned?: ReadonlySet<number>): number {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < logits.length; i++) {
        if (banned?.has(i)) continue;
        if (logits[i] > bestValue || best < 0) {
            best = i;
            bestValue = logits[i];
        }
    }
    return best;
}

/** Picks the next token id. `banned` ids are never chosen (e.g. end ids before a minimum length). */
export function sampleToken(
    logits: Float32Array,
    params: SamplingParams,
    random: SeededRandom,
    banned?: ReadonlySet<number>,
): number {
    const temperature = params.temperature ?? 0;
    if (temperature === 0) return argmax(logits, banned);
    // Candidates sorted by logit (descending, ties by id), cut by top-k, softmax at the temperature, cut by top-p.
    // Tokens more than 40 temperature-units below the best have probability < e^-40 relative to it: leaving them out
    // of the sort keeps a 150k vocabulary cheap without changing any draw at 32-bit resolution.
    const top = logits[argmax(logits, banned)];
    const floor = top - 40 * temperature;
    let ids: number[] = [];
    for (let i = 0; i < logits.length; i++) if (logits[i] >= floor && !banned?.has(i)) ids.push(i);
    ids.sort((a, b) => logits[b] - logits[a] || a - b);
    const k = params.topK ?? 0;
    if (k > 0 && k < ids.length) ids = ids.slice(0, k);
    const max = logits[ids[0]];
    const weights = ids.map((i) => Math.exp((logits[i] - max) / temperature));
    let total = weights.reduce((a, b) => a + b, 0);
    const p = params.topP ?? 1;
    if (p < 1) {
        let cumulative = 0;
        let keep = 0;
        while (keep < weights.length) {
            cumulative += weights[keep++] / total;
            if (cumulative >= p) break;
        }
        ids = ids.slice(0, keep);
        weights.length = keep;
        total = weights.reduce((a, b) => a + b, 0);
    }
    let r = random.next() * total;
    for (let i = 0; i < ids.length; i++) {
        r -= weights[i];
        if (r < 0) return ids[i];
    }
    return ids[ids.length - 1];
}
