/**
 * `chrysalis client serve --voucher-file <path>`: the gateway keeps each account's latest committable charge voucher on
 * disk as it arrives, with the number of its requests in flight, and resumes from it at start. A gateway commits at
 * half the stake and when it stops; one that is killed in between (a crash, `kill -9`) would otherwise leave usage
 * the chain never saw, and its successor's first voucher, counting that usage, would be refused as inflated
 * (docs/client.md, "Verification"). With the file, the successor continues from the dead one's last voucher and its
 * commits settle everything both used. When the dead one had requests in flight, the proxy may have billed them
 * after that voucher: the successor then checks its first voucher as after an abandoned request
 * (ChrysalisClient.resumeAfterLoss: at least its own usage, at most the stake's worth more).
 */
import { readFileSync } from 'node:fs';
import { Address } from '@ton/core';
import { writeFileAtomicSync } from '../client/atomicFile';
import type { ChrysalisClient } from '../client/client';
import type { VoucherJson } from '../roles/proxy/vouchers';

/** One account's record: its latest committable voucher (null before the first) and its requests in flight. */
interface Entry {
    voucher: VoucherJson | null;
    inFlight: number;
}

/** The file's content: one entry per ClientAccount (raw address), for a gateway over several proxies. */
type Kept = Record<string, Entry>;

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
        for (const e of Object.values(kept) as Entry[]) {
            const voucherOk = e?.voucher === null || typeof e?.voucher?.cumulative === 'string';
            if (!voucherOk || !Number.isInteger(e.inFlight)) throw new Error('an entry is not a voucher record');
        }
        return kept as Kept;
    } catch (err) {
        throw new VoucherFileError(`${file} is not a gateway voucher file: ${(err as Error).message}`);
    }
}

/**
 * Resumes each client from its account's entry in the file, then keeps the entry up to date there. Writes are atomic
 * (a temporary file renamed over the old one), so a kill mid-write leaves the previous record, never half a file.
 * Returns how many clients resumed from a kept voucher, and how many of those after requests lost in flight.
 */
export async function keepVouchers(
    clients: ChrysalisClient[],
    file: string,
): Promise<{ resumed: number; afterLoss: number }> {
    const kept = read(file);
    const counts = { resumed: 0, afterLoss: 0 };
    const save = () => writeFileAtomicSync(file, JSON.stringify(kept));
    for (const client of clients) {
        const key = client.account.toRawString();
        const entry = kept[key];
        const voucher = entry?.voucher;
        if (voucher && Address.parse(voucher.target).equals(client.account)) {
            if (entry.inFlight > 0) {
                await client.resumeAfterLoss(voucher);
                counts.afterLoss++;
            } else client.resumeFrom(voucher);
            counts.resumed++;
        }
        const own: Entry = { voucher: voucher ?? null, inFlight: 0 };
        kept[key] = own;
        client.onVoucherKept = (v) => {
            own.voucher = v;
            save();
        };
        client.onInFlight = (n) => {
            own.inFlight = n;
            save();
        };
    }
    save();
    return counts;
}
