/**
 * Freeing large ArrayBuffers at once instead of at the thread's next garbage collection. V8 collects external memory
 * (ArrayBuffer backing stores) only after tens of megabytes of it have piled up, so an engine thread kept a 92 MB graph
 * resident beside ONNX Runtime's copy, and on a large model the key/value tensors that every decode step replaces
 * added ≈ 70 MB of garbage. Transferring buffers into a channel that is then closed detaches them and drops them now.
 * The caller must hold no other view of a released buffer.
 */
import { MessageChannel } from 'node:worker_threads';

export function releaseBuffers(buffers: ArrayBuffer[]): void {
    if (buffers.length === 0) return;
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(null, buffers);
    port1.close();
    port2.close();
}

/** Collects buffers that are no longer used and releases them in batches of at least `batchBytes` (one channel each). */
export class BufferReleaser {
    private pending: ArrayBuffer[] = [];
    private bytes = 0;

    constructor(private readonly batchBytes: number) {}

    add(buffer: ArrayBuffer): void {
        if (buffer.byteLength === 0) return;
        this.pending.push(buffer);
        this.bytes += buffer.byteLength;
        if (this.bytes >= this.batchBytes) this.flush();
    }

    flush(): void {
        releaseBuffers(this.pending);
        this.pending = [];
        this.bytes = 0;
    }
}
