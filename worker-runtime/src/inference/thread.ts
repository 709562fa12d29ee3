/**
 * The body of one inference thread: creates its ONNX Runtime session once from the bytes the pool hands over, says
 * it is ready, then runs requests one at a time. Blocking in ONNX Runtime here never blocks the main event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelSession } from './session';
import { RunReply, RunRequest, ThreadInit, ThreadReady, transferList } from './threadProtocol';

async function main(): Promise<void> {
    const port = parentPort;
    if (!port) throw new Error('inference thread started outside a worker thread');
    const init = workerData as ThreadInit;
    let session: ModelSession;
    try {
        session = await ModelSession.create(init.bytes, init.threads);
    } catch (err) {
        port.postMessage({ type: 'fatal', message: (err as Error).message } satisfies ThreadReady);
        return;
    }
    port.on('message', async (req: RunRequest) => {
        let reply: RunReply;
        try {
            const outputs = await session.run(req.inputs);
            reply = { id: req.id, ok: true, outputs };
            port.postMessage(reply, transferList(outputs));
        } catch (err) {
            const e = err as Error;
            reply = { id: req.id, ok: false, error: { name: e.name, message: e.message } };
            port.postMessage(reply);
        }
    });
    port.postMessage({ type: 'ready' } satisfies ThreadReady);
}

void main();
