import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes through a temporary file renamed over the old one: a process killed mid-write leaves the previous content,
 * never half a file (the kept vouchers a client resumes from).
 */
export function writeFileAtomicSync(file: string, text: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
}
