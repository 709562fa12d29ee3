/**
 * `chrysalis client serve --voucher-file <path>`: the gateway keeps each account's latest committable charge voucher on
 * disk as it arrives, and resumes from it at start. A gateway commits at half the stake and when it stops; one that is
 * killed in between (a crash, `kill -9`) would otherwise leave usage the chain never saw, and its successor's first
 * voucher, counting that usage, would be refused as inflated (docs/client.md, "Verification"). With the file, the
 * successor continues from the dead one's last voucher and its commits settle everything both used.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Address } from '@ton/core';
import type { ChrysalisClient } from '../client/client';
import type { VoucherJson } from '../roles/proxy/vouchers';

/** The file's content: one voucher per ClientAccount (raw address), for a gateway over several proxies. */
type Kept = Record<string, VoucherJson>;

/** The file exists but is not a voucher file: refused rather than overwritten (it may be someone's data). */
export class VoucherFileError extends Error {
    name = 'VoucherFileError';
}

function read(file: string): Kept {
    let text: string;
    try {
        text = readFileSync(file, 'utf8');
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw new VoucherFileError(`cannot read the voucher file ${file}: ${(err as Error).message}`);
    }
    try {
        const kept = JSON.parse(text) as unknown;
        if (!kept || typeof kept !== 'object' || Array.isArray(kept)) throw new Error('not an object');
        for (const v of Object.values(kept)) {
            if (typeof (v as VoucherJson)?.cumulative !== 'string') throw new Error('an entry is not a voucher');
        }
        return kept as Kept;
    } catch (err) {
        throw new VoucherFileError(`${file} is not a gateway voucher file: ${(err as Error).message}`);
    }
}

/**
 * Resumes each client from the voucher the file holds for its account, then keeps every newer one there. Writes are
 * atomic (a temporary file renamed over the old one), so a kill mid-write leaves the previous voucher, never half a
 * file. Returns how many clients resumed from a kept voucher.
 */
export function keepVouchers(clients: ChrysalisClient[], file: string): number {
    const kept = read(file);
    let resumed = 0;
    for (const client of clients) {
        const key = client.account.toRawString();
        const voucher = kept[key];
        if (voucher && Address.parse(voucher.target).equals(client.account)) {
            client.resumeFrom(voucher);
            resumed++;
        }
        client.onVoucherKept = (v) => {
            kept[key] = v;
            const tmp = `${file}.${process.pid}.tmp`;
            writeFileSync(tmp, JSON.stringify(kept));
            renameSync(tmp, file);
        };
    }
    return resumed;
}
