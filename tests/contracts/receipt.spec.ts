import { Address, beginCell } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import {
    buildReceiptCell,
    hashToUint256,
    parseReceiptCell,
    Receipt,
    RECEIPT_TAG,
    signReceipt,
    verifyReceipt,
} from '../../worker-runtime/src/protocol/receipt';
import { RECEIPT_TAG as CONTRACT_RECEIPT_TAG } from '../../wrappers/WorkerStake';

const worker = keyPairFromSeed(Buffer.alloc(32, 1));
const other = keyPairFromSeed(Buffer.alloc(32, 2));
const receipt: Receipt = {
    requestId: hashToUint256('11'.repeat(32)),
    modelHash: hashToUint256(Buffer.alloc(32, 0x22)),
    inputHash: 3n,
    outputHash: (1n << 256n) - 1n,
    registry: new Address(0, Buffer.alloc(32, 0x33)),
};

describe('worker receipt (worker-runtime/src/protocol/receipt.ts)', () => {
    it('uses the tag the WorkerStake contract checks', () => {
        expect(BigInt(RECEIPT_TAG)).toBe(CONTRACT_RECEIPT_TAG);
    });

    it('builds the documented layout and parses it back', () => {
        const cell = buildReceiptCell(receipt);
        const s = cell.beginParse();
        expect(s.loadUint(32)).toBe(RECEIPT_TAG);
        expect(s.loadUintBig(256)).toBe(receipt.requestId);
        expect(s.loadUintBig(256)).toBe(receipt.modelHash);
        expect(s.loadUintBig(256)).toBe(receipt.inputHash);
        expect(s.remainingBits).toBe(0);
        // ^[output_hash:uint256 registry:MsgAddressInt]: the registry binds the receipt to one network.
        const tail = cell.refs[0].beginParse();
        expect(tail.loadUintBig(256)).toBe(receipt.outputHash);
        expect(tail.loadAddress().equals(receipt.registry)).toBe(true);
        expect(tail.remainingBits).toBe(0);
        const parsed = parseReceiptCell(cell);
        expect(parsed.registry.equals(receipt.registry)).toBe(true);
        expect({ ...parsed, registry: null }).toEqual({ ...receipt, registry: null });
    });

    it('signs over the cell hash; verification fails for another key, another receipt or a bad signature', () => {
        const signed = signReceipt(receipt, worker.secretKey);
        expect(verifyReceipt(receipt, signed.signature, worker.publicKey)).toBe(true);
        expect(verifyReceipt(signed.cell, signed.signature, worker.publicKey)).toBe(true);
        expect(verifyReceipt(receipt, signed.signature, other.publicKey)).toBe(false);
        expect(verifyReceipt({ ...receipt, outputHash: 5n }, signed.signature, worker.publicKey)).toBe(false);
        const otherNetwork = { ...receipt, registry: new Address(0, Buffer.alloc(32, 0x44)) };
        expect(verifyReceipt(otherNetwork, signed.signature, worker.publicKey)).toBe(false);
        expect(verifyReceipt(receipt, signed.signature.subarray(0, 63), worker.publicKey)).toBe(false);
    });

    it('rejects bad input with clear errors', () => {
        expect(() => buildReceiptCell({ ...receipt, inputHash: -1n })).toThrow(/inputHash must be an unsigned 256-bit/);
        expect(() => buildReceiptCell({ ...receipt, requestId: 1n << 256n })).toThrow(/requestId/);
        expect(() => signReceipt(receipt, Buffer.alloc(32))).toThrow(/secret key must be 64 bytes/);
        expect(() => hashToUint256(Buffer.alloc(31))).toThrow(/32-byte hash/);
        expect(() => parseReceiptCell(beginCell().storeUint(1, 32).endCell())).toThrow(/not a receipt cell/);
    });
});
