/**
 * The worker's own copy of its latest payout voucher. Vouchers are cumulative, so the latest one is the worker's whole
 * claim on what it earned; the proxy's copy lives in Redis, outside any TEE, and is lost with Redis. The worker keeps
 * the best valid one it has seen on its disk, claims it like any other, and hands it to the proxy operator for
 * `chrysalis proxy recover`, so that the proxy never signs a lower total for this worker again.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoredPayoutVoucher } from '../../protocol/keys';

/** The kept voucher (its raw JSON and total), or null when there is none or it is unreadable. */
export async function readKeptVoucher(file: string): Promise<{ raw: string; cumulative: bigint } | null> {
    let raw: string;
    try {
        raw = await readFile(file, 'utf8');
    } catch {
        return null;
    }
    try {
        const parsed = JSON.parse(raw) as StoredPayoutVoucher;
        return { raw, cumulative: BigInt(parsed.cumulative) };
    } catch {
        return null;
    }
}

/** Writes the voucher atomically (a temporary file renamed over the old one): a crash never leaves half a file. */
export async function keepVoucher(
    file: string,
    voucher: StoredPayoutVoucher & { owner: string; workerKey: string },
): Promise<void> {
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(voucher, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, file);
}
