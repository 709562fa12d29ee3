/** Messages between the pool (main thread) and its inference threads. Tensors travel as typed arrays. */
import { SessionThreads } from './session';
import { RawTensorMap } from './types';

export interface ThreadInit {
    bytes: Uint8Array;
    threads: SessionThreads;
}

export type ThreadReady = { type: 'ready' } | { type: 'fatal'; message: string };

export interface RunRequest {
    id: number;
    inputs: RawTensorMap;
}

export type RunReply =
    | { id: number; ok: true; outputs: RawTensorMap }
    | { id: number; ok: false; error: { name: string; message: string } };

/** The buffers of a tensor map, for postMessage's transfer list (moves them instead of copying). */
export function transferList(tensors: RawTensorMap): ArrayBuffer[] {
    const seen = new Set<ArrayBuffer>();
    for (const t of Object.values(tensors)) {
        if (t.data.buffer instanceof ArrayBuffer && t.data.byteLength === t.data.buffer.byteLength)
            seen.add(t.data.buffer);
    }
    return [...seen];
}
