/**
 * The plain cells of the request path (protocol/plainCell.ts) against @ton/core: the same representation hash and the
 * same BOC bytes for receipts and vouchers over random field values and addresses (both workchains), and for cells of
 * every bit length and reference shape the builder allows; bad values refused as @ton/core refuses them.
 */
import { randomBytes } from 'node:crypto';
import { Address, beginCell, Builder, Cell } from '@ton/core';
import { crc32c as tonCrc32c } from '@ton/core/dist/utils/crc32c';
import { beginPlainCell, crc32c, PlainBuilder, PlainCell } from '../../worker-runtime/src/protocol/plainCell';
import { buildReceiptCell, Receipt, receiptPlainCell } from '../../worker-runtime/src/protocol/receipt';
import { Voucher, voucherCell, VoucherOp, voucherPlainCell } from '../../worker-runtime/src/protocol/voucher';

const uint = (bits: number) =>
    BigInt('0x' + (randomBytes(Math.ceil(bits / 8)).toString('hex') || '0')) >> BigInt((8 - (bits % 8)) % 8);
const address = () => new Address(Math.random() < 0.5 ? 0 : -1, randomBytes(32));

function same(plain: PlainCell, cell: Cell): void {
    expect(plain.hash().toString('hex')).toBe(cell.hash().toString('hex'));
    expect(plain.depth).toBe(cell.depth());
    expect(plain.toBoc().toString('hex')).toBe(cell.toBoc().toString('hex'));
    // And @ton/core reads the plain BOC back as the same cell.
    expect(Cell.fromBoc(plain.toBoc())[0].equals(cell)).toBe(true);
}

describe('plain cells equal @ton/core cells', () => {
    it('receipts: hash, depth and BOC over random values', () => {
        for (let i = 0; i < 200; i++) {
            const receipt: Receipt = {
                requestId: uint(256),
                modelHash: uint(256),
                inputHash: i === 0 ? 0n : uint(256),
                outputHash: i === 1 ? (1n << 256n) - 1n : uint(256),
                registry: address(),
            };
            same(receiptPlainCell(receipt), buildReceiptCell(receipt));
        }
    });

    it('vouchers: hash, depth and BOC over random values', () => {
        for (let i = 0; i < 200; i++) {
            const v: Voucher = {
                op: [VoucherOp.charge, VoucherOp.refund, VoucherOp.payout][i % 3],
                queryId: uint(64),
                cumulative: i === 0 ? 0n : uint(64),
                target: address(),
                validUntil: Math.floor(Math.random() * 0xffffffff),
            };
            same(voucherPlainCell(v), voucherCell(v));
        }
    });

    it('any bit length (byte-aligned or not) and up to four references, shared ones included', () => {
        for (let i = 0; i < 300; i++) {
            const leaf = () => {
                const bits = Math.floor(Math.random() * 40);
                const v = uint(bits);
                return [
                    beginPlainCell().storeUint(v, bits).endCell(),
                    beginCell().storeUint(v, bits).endCell(),
                ] as const;
            };
            const [p, t] = [new PlainBuilder(), new Builder()];
            let bits = 0;
            while (bits < 1023) {
                const n = Math.min(1023 - bits, 1 + Math.floor(Math.random() * 300));
                const v = uint(n);
                p.storeUint(v, n);
                t.storeUint(v, n);
                bits += n;
                if (Math.random() < 0.3) break;
            }
            const shared = leaf();
            for (let r = 0; r < i % 5; r++) {
                const [pl, tl] = r % 2 === 0 ? shared : leaf();
                p.storeRef(pl);
                t.storeRef(tl);
            }
            same(p.endCell(), t.endCell());
        }
    });

    it('CRC-32C as @ton/core computes it', () => {
        for (let i = 0; i < 50; i++) {
            const bytes = randomBytes(i * 7);
            expect(crc32c(bytes)).toBe(tonCrc32c(bytes).readUInt32LE(0));
        }
    });

    it('refuses what does not fit, as @ton/core does', () => {
        expect(() => beginPlainCell().storeUint(256n, 8)).toThrow(RangeError);
        expect(() => beginCell().storeUint(256n, 8)).toThrow();
        expect(() => beginPlainCell().storeUint(-1n, 8)).toThrow(RangeError);
        expect(() => beginPlainCell().storeUint(0n, 1023).storeUint(0, 1)).toThrow(RangeError);
        const leaf = beginPlainCell().endCell();
        const b = beginPlainCell();
        for (let i = 0; i < 4; i++) b.storeRef(leaf);
        expect(() => b.storeRef(leaf)).toThrow(RangeError);
        expect(() =>
            receiptPlainCell({
                requestId: 1n << 256n,
                modelHash: 0n,
                inputHash: 0n,
                outputHash: 0n,
                registry: address(),
            }),
        ).toThrow(RangeError);
    });
});
