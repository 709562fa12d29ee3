/**
 * Quote generation inside a TDX guest through Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm):
 * create a report entry, write 64 bytes of report data to `inblob`, read the quote from `outblob`, remove the entry.
 * `generation` counts writes to the entry; a jump of more than one means another writer raced us.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AttestationError, fail } from './errors';
import { parseQuote } from './quote';

export const DEFAULT_CONFIGFS_TSM_REPORT = '/sys/kernel/config/tsm/report';

export interface TdxProviderOptions {
    /** The configfs-tsm report directory; default /sys/kernel/config/tsm/report. */
    reportDir?: string;
    /** Entry name; default a fresh random name per quote so concurrent callers never share an entry. */
    entryName?: string;
}

async function readGeneration(entry: string): Promise<number | undefined> {
    try {
        return Number.parseInt((await fs.readFile(path.join(entry, 'generation'), 'utf8')).trim(), 10);
    } catch {
        return undefined;
    }
}

export class TdxProvider {
    readonly kind = 'tdx' as const;
    private readonly reportDir: string;

    constructor(private readonly options: TdxProviderOptions = {}) {
        this.reportDir = options.reportDir ?? DEFAULT_CONFIGFS_TSM_REPORT;
    }

    async getQuote(reportData: Uint8Array): Promise<Buffer> {
        if (reportData.length !== 64) fail('provider', `report data must be 64 bytes, got ${reportData.length}`);
        try {
            await fs.access(this.reportDir);
        } catch {
            fail(
                'provider',
                `configfs-tsm is not available at ${this.reportDir} (not a TDX guest, a kernel before 6.7, or configfs not mounted)`,
            );
        }
        const entry = path.join(
            this.reportDir,
            this.options.entryName ?? `chrysalis-${process.pid}-${randomBytes(6).toString('hex')}`,
        );
        try {
            await fs.mkdir(entry, { recursive: true });
            const provider = await fs.readFile(path.join(entry, 'provider'), 'utf8').catch(() => undefined);
            if (provider !== undefined && provider.trim() !== 'tdx_guest') {
                fail('provider', `configfs-tsm provider is "${provider.trim()}", expected tdx_guest`);
            }
            const before = await readGeneration(entry);
            await fs.writeFile(path.join(entry, 'inblob'), reportData);
            const quote = await fs.readFile(path.join(entry, 'outblob'));
            const after = await readGeneration(entry);
            if (before !== undefined && after !== undefined && after !== before + 1) {
                fail(
                    'provider',
                    `configfs-tsm entry ${entry} was written concurrently (generation ${before} → ${after})`,
                );
            }
            if (quote.length === 0) fail('provider', 'configfs-tsm returned an empty quote');
            // The kernel must hand back a quote over exactly our report data; anything else is a wrong or stale quote.
            if (!parseQuote(quote).body.reportData.equals(Buffer.from(reportData))) {
                fail('provider', 'configfs-tsm returned a quote over different report data');
            }
            return quote;
        } catch (err) {
            if (err instanceof AttestationError) throw err;
            fail('provider', `configfs-tsm quote generation failed at ${entry}: ${(err as Error).message}`);
        } finally {
            // configfs removes an entry with rmdir; on a plain directory (tests) this fails harmlessly.
            await fs.rmdir(entry).catch(() => undefined);
        }
    }
}
