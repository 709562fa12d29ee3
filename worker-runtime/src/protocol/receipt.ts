import { Address, beginCell, Cell } from '@ton/core';
import { ed25519Sign, ed25519Verify } from '../crypto/ed25519';

/** First 32 bits of every worker receipt cell ("RCPT"); the WorkerStake contract checks it (RECEIPT_TAG). */
export const RECEIPT_TAG = 0x52435054;

/** What a worker attests for one request. Hashes are 256-bit integers (e.g. SHA-256 digests). */
export interface Receipt {
    requestId: bigint;
    modelHash: bigint;
    inputHash: bigint;
    outputHash: bigint;
    /**
     * The registry of the network the worker serves (the one its WorkerStake belongs to): binds the receipt to one
     * network, so a key reused on two networks cannot be slashed on one with a receipt from the other.
     */
    registry: Address;
}

export interface SignedReceipt {
    receipt: Receipt;
    cell: Cell;
    /** Ed25519 signature (64 bytes) over cell.hash(). */
    signature: Buffer;
}

const UINT256_MAX = (1n << 256n) - 1n;

function checkUint256(name: string, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value > UINT256_MAX) {
        throw new RangeError(`receipt ${name} must be an unsigned 256-bit bigint, got ${String(value)}`);
    }
}

/** Turns a 32-byte digest (Buffer or hex string) into the uint256 a receipt holds. */
export function hashToUint256(hash: Buffer | string): bigint {
    const bytes = typeof hash === 'string' ? Buffer.from(hash.replace(/^0x/, ''), 'hex') : hash;
    if (bytes.length !== 32) {
        throw new RangeError(`expected a 32-byte hash, got ${bytes.length} bytes`);
    }
    return BigInt('0x' + bytes.toString('hex'));
}

/**
 * The receipt cell, as in contracts/schema.tlb:
 * receipt#52435054 request_id:uint256 model_hash:uint256 input_hash:uint256
 *     ^[output_hash:uint256 registry:MsgAddressInt]
 * (four 256-bit hashes and a tag do not fit the 1023 bits of one cell, so the output hash and the registry sit in a
 * reference). A slash by proof needs two receipts equal in everything but the output hash.
 */
export function buildReceiptCell(receipt: Receipt): Cell {
    checkUint256('requestId', receipt.requestId);
    checkUint256('modelHash', receipt.modelHash);
    checkUint256('inputHash', receipt.inputHash);
    checkUint256('outputHash', receipt.outputHash);
    return beginCell()
        .storeUint(RECEIPT_TAG, 32)
        .storeUint(receipt.requestId, 256)
        .storeUint(receipt.modelHash, 256)
        .storeUint(receipt.inputHash, 256)
        .storeRef(beginCell().storeUint(receipt.outputHash, 256).storeAddress(receipt.registry).endCell())
        .endCell();
}

/** Parses a receipt cell; throws on a wrong tag or layout. */
export function parseReceiptCell(cell: Cell): Receipt {
    const s = cell.beginParse();
    const tag = s.loadUint(32);
    if (tag !== RECEIPT_TAG) {
        throw new Error(`not a receipt cell: tag 0x${tag.toString(16)}`);
    }
    const requestId = s.loadUintBig(256);
    const modelHash = s.loadUintBig(256);
    const inputHash = s.loadUintBig(256);
    const tail = s.loadRef().beginParse();
    const outputHash = tail.loadUintBig(256);
    const registry = tail.loadAddress();
    return { requestId, modelHash, inputHash, outputHash, registry };
}

/** Signs the receipt with the worker's Ed25519 secret key (64 bytes, as from @ton/crypto keyPairFromSeed). */
export function signReceipt(receipt: Receipt, secretKey: Buffer): SignedReceipt {
    if (secretKey.length !== 64) {
        throw new RangeError(`Ed25519 secret key must be 64 bytes, got ${secretKey.length}`);
    }
    const cell = buildReceiptCell(receipt);
    return { receipt, cell, signature: ed25519Sign(cell.hash(), secretKey) };
}

/** True when `signature` is the worker key's signature of this receipt (as the WorkerStake contract checks it). */
export function verifyReceipt(receipt: Receipt | Cell, signature: Buffer, publicKey: Buffer): boolean {
    if (publicKey.length !== 32 || signature.length !== 64) {
        return false;
    }
    const cell = receipt instanceof Cell ? receipt : buildReceiptCell(receipt);
    return ed25519Verify(cell.hash(), signature, publicKey);
}
