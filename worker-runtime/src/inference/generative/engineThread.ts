/**
 * The body of a generative engine's worker thread: creates the model once (chat, embedding or speech), says it is
 * ready, then serves requests. Chat requests run concurrently, interleaved step by step; each has its own
 * AbortController, aborted by a 'cancel' message (seen at the next decode step).
 */
import { parentPort } from 'node:worker_threads';
import { ChatModel } from './chatModel';
import { EmbeddingModel } from './embeddingModel';
import { EngineInit, ThreadInit, ThreadMessage, ThreadRequest } from './engineProtocol';
import { SpeechModel } from './speechModel';

const errorOf = (err: unknown) => ({
    name: (err as Error).name ?? 'Error',
    message: (err as Error).message ?? String(err),
});

async function main(init: EngineInit): Promise<void> {
    const port = parentPort!;
    const send = (m: ThreadMessage) => port.postMessage(m);
    let chat: ChatModel | undefined;
    let embedder: EmbeddingModel | undefined;
    let speech: SpeechModel | undefined;
    try {
        if (init.engine === 'chat') chat = await ChatModel.create(init.pkg, init.options);
        else if (init.engine === 'embedding') embedder = await EmbeddingModel.create(init.pkg, init.options);
        else speech = await SpeechModel.create(init.pkg, init.options);
    } catch (err) {
        send({ type: 'fatal', error: errorOf(err) });
        return;
    }
    const running = new Map<number, AbortController>();
    // Every request being served: `close` waits for them (ONNX Runtime runs cannot be interrupted, and ending the
    // thread under one aborts the whole process), so the thread only ever exits between runs.
    const inFlight = new Set<Promise<void>>();
    let closing = false;
    const close = async () => {
        closing = true;
        for (const controller of running.values()) controller.abort();
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        await (chat ?? embedder ?? speech)?.release().catch(() => undefined);
        port.close();
        process.exit(0);
    };
    const serve = async (msg: Exclude<ThreadRequest, { type: 'cancel' | 'close' }>) => {
        try {
            if (closing) throw new Error('the engine is closing');
            if (msg.type === 'generate') {
                const controller = new AbortController();
                running.set(msg.id, controller);
                try {
                    const result = await chat!.generate({ ...msg.req, signal: controller.signal }, (event) =>
                        send({ type: 'token', id: msg.id, event }),
                    );
                    send({ type: 'result', id: msg.id, result });
                } finally {
                    running.delete(msg.id);
                }
            } else if (msg.type === 'embed') {
                send({ type: 'result', id: msg.id, result: await embedder!.embed(msg.inputs) });
            } else if (msg.type === 'transcribe') {
                send({ type: 'result', id: msg.id, result: await speech!.transcribe(msg.pcm, msg.options) });
            }
        } catch (err) {
            send({ type: 'error', id: msg.id, error: errorOf(err) });
        }
    };
    port.on('message', (msg: ThreadRequest) => {
        if (msg.type === 'cancel') {
            running.get(msg.id)?.abort();
            return;
        }
        if (msg.type === 'close') {
            if (!closing) void close();
            return;
        }
        const serving = serve(msg);
        inFlight.add(serving);
        void serving.finally(() => inFlight.delete(serving));
    });
    send({ type: 'ready' });
}

if (!parentPort) throw new Error('engine thread started outside a worker thread');
parentPort.once('message', (m: ThreadInit) => void main(m.init));
