/**
 * The demo client's request inputs: small, deterministic, valid for each devnet model, and varied from request to
 * request (so receipts and hashes differ). Silero VAD gets 32 ms windows of a synthetic audio signal that alternates
 * between voiced speech and near-silence.
 */
import { JsonTensor, JsonTensorMap } from '../inference/types';
import { DevnetModelName } from './models';

export const VAD_SAMPLE_RATE = 16000;
export const VAD_WINDOW = 512;
export const VAD_CONTEXT = 64;
const EMBEDDING_VOCAB = 64;

/** A voiced-speech-like signal (a 140 Hz pulse train's harmonics at a syllable rate), silent every other 0.5 s. */
export function syntheticAudio(t: number): number {
    const voicedNow = Math.floor(t * 2) % 2 === 0;
    if (!voicedNow) return 0.002 * Math.sin(2 * Math.PI * 50 * t);
    let v = 0;
    for (let h = 1; h <= 10; h++) v += Math.sin(2 * Math.PI * 140 * h * t) / h;
    return 0.3 * v * (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t));
}

/** Inputs for request number `n` to `model`. */
export function demoInputs(model: DevnetModelName, n: number): JsonTensorMap {
    switch (model) {
        case 'tiny-mlp': {
            const rows = 1 + (n % 2);
            return {
                features: {
                    type: 'float32',
                    dims: [rows, 16],
                    data: Array.from({ length: rows * 16 }, (_, i) => round(Math.sin(n * 31 + i * 0.37))),
                },
            };
        }
        case 'embedding': {
            const seq = 4 + (n % 5);
            return {
                token_ids: {
                    type: 'int64',
                    dims: [1, seq],
                    data: Array.from({ length: seq }, (_, i) => String(1 + ((n * 7 + i * 13) % (EMBEDDING_VOCAB - 1)))),
                },
            };
        }
        case 'dtype-mix': {
            const len = 3 + (n % 4);
            return {
                counts: { type: 'int32', dims: [len], data: Array.from({ length: len }, (_, i) => (n + i) % 100) },
                mask: { type: 'bool', dims: [len], data: Array.from({ length: len }, (_, i) => (n + i) % 2 === 0) },
                pixels: { type: 'uint8', dims: [len], data: Array.from({ length: len }, (_, i) => (n * 17 + i) % 256) },
            };
        }
        case 'silero-vad':
            return vadWindow(n);
    }
}

/** Window `w` of the synthetic signal with the 64 samples before it as context, from a fresh recurrent state. */
export function vadWindow(w: number): JsonTensorMap {
    const start = w * VAD_WINDOW - VAD_CONTEXT;
    const samples = Array.from({ length: VAD_CONTEXT + VAD_WINDOW }, (_, i) => {
        const index = start + i;
        return index < 0 ? 0 : round(syntheticAudio(index / VAD_SAMPLE_RATE));
    });
    const state: JsonTensor = { type: 'float32', dims: [2, 1, 128], data: new Array(256).fill(0) };
    return {
        input: { type: 'float32', dims: [1, VAD_CONTEXT + VAD_WINDOW], data: samples },
        state,
        sr: { type: 'int64', dims: [], data: [String(VAD_SAMPLE_RATE)] },
    };
}

/** Six decimals: keeps request bodies short and the canonical JSON stable. */
function round(v: number): number {
    return Math.round(v * 1e6) / 1e6;
}
