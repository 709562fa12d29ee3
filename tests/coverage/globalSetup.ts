import * as fs from 'fs';
import { RAW_DIR } from './rawCoverage';

/** A coverage run starts from nothing: raw files of an earlier run would otherwise be merged into this one. */
export default function globalSetup(): void {
    fs.rmSync(RAW_DIR, { recursive: true, force: true });
}
