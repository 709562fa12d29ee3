/**
 * What the proxy needs from worker admission (roles/admission): the current queue key of each model, which worker
 * keys hold a current grant (and who owns them, for payouts), and a way to drop a worker from routing. Admission
 * demotes by rotating the model's queue key and re-granting it to every other admitted worker.
 */
import { Address } from '@ton/core';
import { buildReceiptCell, Receipt } from '../../protocol/receipt';
import { ed25519Verify } from '../../crypto/ed25519';
import { toWireMap, WireTensorMap } from '../../inference';
import { hashJson } from '../../protocol/canonical';

export interface AdmittedWorker {
    workerKey: string;
    owner: Address;
    modelHash: string;
}

export interface WorkerAdmissionPort {
    /** The model's current queue key (32 bytes) and its version (grows with each rotation). */
    queueKey(modelHash: string): Promise<{ key: Buffer; version: number }>;
    /** The worker holding a current grant under this key, or null. */
    admittedWorker(workerKey: string): Promise<AdmittedWorker | null>;
    /** Drops the worker from routing (rotates the model's queue key). */
    demote(workerKey: string, reason: string): Promise<void>;
    /** How many workers hold a current grant for the model now (health); absent = not known. */
    liveWorkers?(modelHash: string): Promise<number>;
}

/** What a worker returns (sealed) for a job: its outputs and the receipt it signed with its attested key. */
export interface WorkerResult {
    /** Wire form: exactly the tensors the worker's receipt hashes. */
    outputs: WireTensorMap;
    workerKey: string;
    /** Hex Ed25519 signature of the receipt cell's hash. */
    signature: string;
}

/** The receipt as the API returns it: hashes as 64 hex characters, the signature and the cell (base64 BOC). */
export interface ReceiptJson {
    requestId: string;
    modelHash: string;
    inputHash: string;
    outputHash: string;
    /** The registry the receipt is bound to (raw form, 0:hex). */
    registry: string;
    workerKey: string;
    signature: string;
    cell: string;
}

function hex256(v: bigint): string {
    return v.toString(16).padStart(64, '0');
}

/** Accepts the worker role's result shapes: `{outputs, workerKey, signature}` or `{outputs, workerKey, receipt: {signature}}`. */
export function parseWorkerResult(raw: unknown, generative = false): WorkerResult | null {
    if (typeof raw !== 'object' || raw === null) return null;
    const r = raw as Record<string, unknown>;
    const outputs = r.outputs ?? r.output;
    const receipt = (typeof r.receipt === 'object' && r.receipt !== null ? r.receipt : {}) as Record<string, unknown>;
    const signature = r.signature ?? receipt.signature;
    const workerKey = r.workerKey ?? receipt.workerKey;
    if (typeof outputs !== 'object' || outputs === null) return null;
    if (typeof signature !== 'string' || !/^[0-9a-f]{128}$/i.test(signature)) return null;
    if (typeof workerKey !== 'string' || !/^[0-9a-f]{64}$/i.test(workerKey)) return null;
    let wire: WireTensorMap;
    try {
        // Generative outputs (embeddings, transcripts) are JSON the generative service reads, not tensors.
        wire = generative ? (outputs as WireTensorMap) : toWireMap(outputs);
    } catch {
        return null;
    }
    return {
        outputs: wire,
        workerKey: workerKey.toLowerCase(),
        signature: signature.toLowerCase(),
    };
}

/**
 * The receipt a worker must have signed for this request: the proxy recomputes every hash itself, over the wire form
 * of the tensors (protocol: inference/codec.ts `hashTensors`, the canonical JSON hash of the wire map) or over the
 * generative endpoints' JSON inputs and outputs (the same canonical hash, roles/worker/generative.ts).
 */
export function expectedReceipt(
    requestId: string,
    modelHash: string,
    inputs: WireTensorMap | unknown,
    outputs: WireTensorMap | unknown,
    registry: Address,
): Receipt {
    return {
        requestId: BigInt('0x' + requestId),
        modelHash: BigInt('0x' + modelHash),
        inputHash: hashJson(inputs),
        outputHash: hashJson(outputs),
        registry,
    };
}

/** Checks the worker's signature over the recomputed receipt; returns the receipt's JSON form, or null. */
export function checkReceipt(receipt: Receipt, result: WorkerResult): ReceiptJson | null {
    const cell = buildReceiptCell(receipt);
    const signature = Buffer.from(result.signature, 'hex');
    if (!ed25519Verify(cell.hash(), signature, Buffer.from(result.workerKey, 'hex'))) return null;
    return {
        requestId: hex256(receipt.requestId),
        modelHash: hex256(receipt.modelHash),
        inputHash: hex256(receipt.inputHash),
        outputHash: hex256(receipt.outputHash),
        registry: receipt.registry.toRawString(),
        workerKey: result.workerKey,
        signature: result.signature,
        cell: cell.toBoc().toString('base64'),
    };
}
