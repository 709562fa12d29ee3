/**
 * A signed worker receipt as a file, the form slashByProof reads (and a client saves a receipt it got in):
 *
 *   { "receipt": "<the receipt cell as a base64 BoC>", "signature": "<Ed25519 signature over the cell hash, 128 hex>" }
 *
 * The cell travels as the worker signed it, so the file stays valid whatever the receipt layout is; reading it
 * checks the layout with parseReceiptCell.
 */
import { Cell } from '@ton/core';
import { Receipt, SignedReceipt, parseReceiptCell } from './receipt';

export interface ReceiptFile {
    receipt: string;
    signature: string;
}

export interface ReadReceipt {
    receipt: Receipt;
    cell: Cell;
    signature: Buffer;
}

export function receiptToFile(signed: Pick<SignedReceipt, 'cell' | 'signature'>): ReceiptFile {
    return { receipt: signed.cell.toBoc().toString('base64'), signature: signed.signature.toString('hex') };
}

/** Parses a receipt file's text; the error says which field is wrong. */
export function receiptFromFile(text: string): ReadReceipt {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        throw new Error('not JSON');
    }
    const { receipt, signature } = (json ?? {}) as Partial<Record<keyof ReceiptFile, unknown>>;
    if (typeof receipt !== 'string') throw new Error('"receipt" must be the receipt cell as a base64 BoC');
    if (typeof signature !== 'string' || !/^[0-9a-fA-F]{128}$/.test(signature)) {
        throw new Error('"signature" must be 128 hex digits (64 bytes)');
    }
    let cell: Cell;
    try {
        cell = Cell.fromBase64(receipt);
    } catch {
        throw new Error('"receipt" is not a base64 BoC');
    }
    let parsed: Receipt;
    try {
        parsed = parseReceiptCell(cell);
    } catch (err) {
        throw new Error(`"receipt" is not a receipt cell: ${(err as Error).message}`);
    }
    return { receipt: parsed, cell, signature: Buffer.from(signature, 'hex') };
}
