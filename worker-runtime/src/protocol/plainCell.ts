/**
 * Small ordinary cells built, hashed and serialized without @ton/core: the per-request receipt and voucher cells.
 * @ton/core computes every cell's hash eagerly with SHA-256 in pure JavaScript (jssha) and serializes a BOC through a
 * bit builder with a bit-by-bit CRC-32C; on the request path (a receipt checked and a voucher signed per request by the
 * proxy, a receipt signed per job by a worker) that is a large share of the CPU. Here the representation hash is one
 * node:crypto SHA-256 and the BOC is written byte by byte. The bytes are exactly @ton/core's (`Cell.hash()`,
 * `Cell.toBoc()` with its defaults: no index, CRC-32C; tests/protocol/plainCell.spec.ts compares them): the layouts
 * themselves are written once, against {@link LayoutBuilder}, which both this builder and @ton/core's satisfy.
 *
 * Only what those layouts need: unsigned integers, standard internal addresses and references; ordinary cells of
 * level 0 (no exotic cells, no libraries).
 */
import { createHash } from 'node:crypto';
import { Address } from '@ton/core';

/** What a layout writes with: @ton/core's `Builder` and {@link PlainBuilder} both fit it. */
export interface LayoutBuilder<C> {
    storeUint(value: bigint | number, bits: number): LayoutBuilder<C>;
    storeAddress(address: Address): LayoutBuilder<C>;
    storeRef(cell: C): LayoutBuilder<C>;
    endCell(): C;
}

const MAX_BITS = 1023;
const MAX_REFS = 4;

export class PlainCell {
    private hash_: Buffer | null = null;
    /** Depth of the cell tree below this cell (0 without references), as in the representation hash. */
    readonly depth: number;

    constructor(
        /** The data bits, left-aligned; bits past `bitLength` are zero. */
        readonly data: Buffer,
        readonly bitLength: number,
        readonly refs: readonly PlainCell[],
    ) {
        this.depth = refs.reduce((d, r) => Math.max(d, r.depth + 1), 0);
    }

    /** d1: the reference count (ordinary cell, level 0). */
    private get d1(): number {
        return this.refs.length;
    }

    /** d2: ⌈bits / 8⌉ + ⌊bits / 8⌋. */
    private get d2(): number {
        return Math.ceil(this.bitLength / 8) + Math.floor(this.bitLength / 8);
    }

    /** The data padded to whole bytes with the completion tag (a 1 bit, then zeros) when bits are left over. */
    private paddedData(): Buffer {
        const bytes = Math.ceil(this.bitLength / 8);
        const out = Buffer.from(this.data.subarray(0, bytes));
        if (this.bitLength % 8 !== 0) out[bytes - 1] |= 1 << (7 - (this.bitLength % 8));
        return out;
    }

    /** The representation hash (what `Cell.hash()` gives, and what the contracts check signatures over). */
    hash(): Buffer {
        if (this.hash_) return this.hash_;
        const sha = createHash('sha256');
        sha.update(Buffer.from([this.d1, this.d2]));
        sha.update(this.paddedData());
        const depths = Buffer.alloc(2 * this.refs.length);
        this.refs.forEach((r, i) => depths.writeUInt16BE(r.depth, 2 * i));
        sha.update(depths);
        for (const r of this.refs) sha.update(r.hash());
        this.hash_ = sha.digest();
        return this.hash_;
    }

    /** The bag of cells `Cell.toBoc()` writes (no index, CRC-32C), the cells in @ton/core's order. */
    toBoc(): Buffer {
        const cells = topologicalOrder(this);
        const sizeBytes = Math.max(Math.ceil(bitsFor(cells.length) / 8), 1);
        const cellSize = (c: PlainCell) => 2 + Math.ceil(c.bitLength / 8) + c.refs.length * sizeBytes;
        const totalCellSize = cells.reduce((a, { cell }) => a + cellSize(cell), 0);
        const offsetBytes = Math.max(Math.ceil(bitsFor(totalCellSize) / 8), 1);
        const out = Buffer.alloc(4 + 1 + 1 + 3 * sizeBytes + offsetBytes + sizeBytes + totalCellSize + 4);
        let at = out.writeUInt32BE(0xb5ee9c72, 0);
        // has_idx 0, has_crc32c 1, has_cache_bits 0, flags 00, size_bytes (3 bits)
        at = out.writeUInt8(0x40 | sizeBytes, at);
        at = out.writeUInt8(offsetBytes, at);
        at = out.writeUIntBE(cells.length, at, sizeBytes);
        at = out.writeUIntBE(1, at, sizeBytes); // roots
        at = out.writeUIntBE(0, at, sizeBytes); // absent
        at = out.writeUIntBE(totalCellSize, at, offsetBytes);
        at = out.writeUIntBE(0, at, sizeBytes); // the root's index
        for (const { cell, refs } of cells) {
            at = out.writeUInt8(cell.d1, at);
            at = out.writeUInt8(cell.d2, at);
            at += cell.paddedData().copy(out, at);
            for (const r of refs) at = out.writeUIntBE(r, at, sizeBytes);
        }
        out.writeUInt32LE(crc32c(out.subarray(0, at)), at);
        return out;
    }
}

/** A builder of {@link PlainCell}s with the part of @ton/core's `Builder` API the layouts use. */
export class PlainBuilder implements LayoutBuilder<PlainCell> {
    private readonly data = Buffer.alloc(128);
    private bits = 0;
    private readonly refs: PlainCell[] = [];

    storeUint(value: bigint | number, bits: number): this {
        const v = BigInt(value);
        if (!Number.isInteger(bits) || bits < 0) throw new RangeError(`invalid bit length ${bits}`);
        if (v < 0n || v >= 1n << BigInt(bits)) {
            throw new RangeError(`value ${v} does not fit ${bits} unsigned bits`);
        }
        if (this.bits + bits > MAX_BITS) throw new RangeError('a cell holds at most 1023 bits');
        if (bits === 0) return this;
        // The value's bytes, big-endian and right-aligned; its bits are copied after the `pad` leading zero bits.
        const bytes = Math.ceil(bits / 8);
        const src = Buffer.from(v.toString(16).padStart(2 * bytes, '0'), 'hex');
        const pad = 8 * bytes - bits;
        if (pad === 0 && (this.bits & 7) === 0) {
            src.copy(this.data, this.bits >> 3); // whole bytes at a byte boundary (hashes, tags)
        } else {
            for (let j = 0; j < bits; j++) {
                const at = pad + j;
                if ((src[at >> 3] >> (7 - (at & 7))) & 1) {
                    const to = this.bits + j;
                    this.data[to >> 3] |= 1 << (7 - (to & 7));
                }
            }
        }
        this.bits += bits;
        return this;
    }

    /** A standard internal address (addr_std$10, no anycast), as @ton/core's `storeAddress` writes an `Address`. */
    storeAddress(address: Address): this {
        if (!Address.isAddress(address)) throw new TypeError('expected an internal Address');
        this.storeUint(0b100, 3); // addr_std$10, anycast: nothing (0)
        this.storeUint(address.workChain & 0xff, 8); // int8 in two's complement
        this.storeUint(BigInt('0x' + address.hash.toString('hex')), 256);
        return this;
    }

    storeRef(cell: PlainCell): this {
        if (this.refs.length >= MAX_REFS) throw new RangeError('a cell holds at most 4 references');
        if (!(cell instanceof PlainCell)) throw new TypeError('expected a PlainCell');
        this.refs.push(cell);
        return this;
    }

    endCell(): PlainCell {
        return new PlainCell(Buffer.from(this.data.subarray(0, Math.ceil(this.bits / 8))), this.bits, [...this.refs]);
    }
}

export const beginPlainCell = (): PlainBuilder => new PlainBuilder();

/** Bits needed for an unsigned number (0 needs 0), as @ton/core's bitsForNumber(…, 'uint'). */
function bitsFor(n: number): number {
    return n === 0 ? 0 : Math.floor(Math.log2(n)) + 1;
}

/** @ton/core's topologicalSort: each distinct cell (by hash) once, parents before children, and ref indexes. */
function topologicalOrder(root: PlainCell): { cell: PlainCell; refs: number[] }[] {
    const all = new Map<string, { cell: PlainCell; refs: string[] }>();
    const notPerm = new Set<string>();
    let pending = [root];
    while (pending.length > 0) {
        const cells = pending;
        pending = [];
        for (const cell of cells) {
            const hash = cell.hash().toString('hex');
            if (all.has(hash)) continue;
            notPerm.add(hash);
            all.set(hash, { cell, refs: cell.refs.map((r) => r.hash().toString('hex')) });
            pending.push(...cell.refs);
        }
    }
    const sorted: string[] = [];
    const temp = new Set<string>();
    const visit = (hash: string) => {
        if (!notPerm.has(hash)) return;
        if (temp.has(hash)) throw new Error('not a DAG');
        temp.add(hash);
        const refs = all.get(hash)!.refs;
        for (let i = refs.length - 1; i >= 0; i--) visit(refs[i]);
        sorted.push(hash);
        temp.delete(hash);
        notPerm.delete(hash);
    };
    while (notPerm.size > 0) visit(notPerm.values().next().value as string);
    const index = new Map(sorted.map((h, i) => [h, sorted.length - 1 - i]));
    return sorted.reverse().map((h) => {
        const e = all.get(h)!;
        return { cell: e.cell, refs: e.refs.map((r) => index.get(r)!) };
    });
}

const CRC32C_TABLE = (() => {
    const table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
        table[n] = c;
    }
    return table;
})();

/** CRC-32C (Castagnoli), the BOC checksum. */
export function crc32c(bytes: Uint8Array): number {
    let crc = -1;
    for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ -1) >>> 0;
}
