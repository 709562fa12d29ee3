import { createHash } from 'node:crypto';
import { Address } from '@ton/core';
import { hashTensors, InferencePool, WireTensorMap } from '../../inference';
import { buildReceiptCell, Receipt } from '../../protocol/receipt';
import { JobRequest, ProcessContext } from '../../queue';
import { ed25519Signer } from '../../crypto/ed25519';

/** A receipt with its hashes as 64 hex characters (the JSON form sealed into the result). */
export interface ReceiptHex {
    requestId: string;
    modelHash: string;
    inputHash: string;
    outputHash: string;
    /** The registry the receipt is bound to (raw form, 0:hex). */
    registry: string;
}

/** What the worker returns for a job (sealed with the queue key before it reaches Redis). */
export interface WorkerJobResult {
    /** The outputs in the wire form (element bytes in base64): exactly what the receipt's output hash covers. */
    outputs: WireTensorMap;
    receipt: ReceiptHex;
    /** Ed25519 signature (hex) of the receipt cell's hash by the worker key. */
    signature: string;
    /** The worker key (hex) that signed, attested and staked. */
    workerKey: string;
    inferenceMs: number;
}

const hex256 = (v: bigint) => v.toString(16).padStart(64, '0');

/**
 * The receipt's request id: request ids are 32 random bytes as 64 hex characters (protocol/request.ts), read as a
 * uint256. Any other id (tests, tools) is mapped through SHA-256 of its UTF-8 bytes so it still fits the cell.
 */
export function requestIdToUint256(requestId: string): bigint {
    if (/^[0-9a-fA-F]{64}$/.test(requestId)) return BigInt('0x' + requestId);
    return BigInt('0x' + createHash('sha256').update(requestId, 'utf8').digest('hex'));
}

export function receiptToHex(receipt: Receipt): ReceiptHex {
    return {
        requestId: hex256(receipt.requestId),
        modelHash: hex256(receipt.modelHash),
        inputHash: hex256(receipt.inputHash),
        outputHash: hex256(receipt.outputHash),
        registry: receipt.registry.toRawString(),
    };
}

export function receiptFromHex(receipt: ReceiptHex): Receipt {
    return {
        requestId: BigInt('0x' + receipt.requestId),
        modelHash: BigInt('0x' + receipt.modelHash),
        inputHash: BigInt('0x' + receipt.inputHash),
        outputHash: BigInt('0x' + receipt.outputHash),
        registry: Address.parse(receipt.registry),
    };
}

export interface JobProcessorDeps {
    pool: InferencePool;
    modelHash: bigint;
    /** The registry this worker follows (its WorkerStake's): every receipt is bound to it. */
    registry: Address;
    workerKey: { publicKey: Buffer; secretKey: Buffer };
    /** Called with the model run time of each successful job (metrics). */
    onRun?: (ms: number) => void;
}

/**
 * The worker's queue processor: run the model (bad input rejects with InvalidInputError, which the queue fails
 * without retry and seals for the proxy), hash inputs and outputs in the wire form as the client and proxy will (a NaN
 * output is a result like any other), sign the receipt.
 */
export function createJobProcessor(deps: JobProcessorDeps) {
    const workerKeyHex = deps.workerKey.publicKey.toString('hex');
    const sign = ed25519Signer(deps.workerKey.secretKey);
    return async (request: JobRequest<unknown>, context: ProcessContext): Promise<WorkerJobResult> => {
        const started = performance.now();
        const { inputs, outputs } = await deps.pool.runWire(request.inputs);
        const inferenceMs = performance.now() - started;
        deps.onRun?.(inferenceMs);
        const receipt: Receipt = {
            requestId: requestIdToUint256(context.requestId),
            modelHash: deps.modelHash,
            inputHash: hashTensors(inputs),
            outputHash: hashTensors(outputs),
            registry: deps.registry,
        };
        // What protocol/receipt.ts signReceipt makes (Ed25519 over the cell hash), with the key imported once.
        const signature = sign(buildReceiptCell(receipt).hash());
        return {
            outputs,
            receipt: receiptToHex(receipt),
            signature: signature.toString('hex'),
            workerKey: workerKeyHex,
            inferenceMs,
        };
    };
}
