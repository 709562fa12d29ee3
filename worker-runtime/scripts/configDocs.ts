/**
 * Keeps the configuration tables in README.md equal to the schemas the code reads: each table sits between
 * `<!-- config:<name> -->` and `<!-- /config:<name> -->` and is `describeSchema` of that schema. `npm run docs:config`
 * rewrites them; tests/runtime/readme.spec.ts fails when they drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_SCHEMA } from '../src/client/config';
import { describeSchema, Schema } from '../src/config/schema';
import { PROXY_SCHEMA } from '../src/roles/proxy/config';
import { workerConfigSchema } from '../src/roles/worker/config';

export const CONFIG_TABLES: Record<string, Schema> = {
    worker: workerConfigSchema,
    proxy: PROXY_SCHEMA,
    client: CLIENT_SCHEMA,
};

/** The markdown with every marked table replaced by the current schema's; throws if a marker pair is missing. */
export function fillConfigTables(markdown: string, tables: Record<string, Schema> = CONFIG_TABLES): string {
    let out = markdown;
    for (const [name, schema] of Object.entries(tables)) {
        const open = `<!-- config:${name} -->`;
        const close = `<!-- /config:${name} -->`;
        const start = out.indexOf(open);
        const end = out.indexOf(close);
        if (start < 0 || end < start) throw new Error(`README has no ${open} … ${close} section`);
        out = `${out.slice(0, start + open.length)}\n${describeSchema(schema)}\n${out.slice(end)}`;
    }
    return out;
}

if (require.main === module) {
    const path = join(__dirname, '..', '..', 'README.md');
    writeFileSync(path, fillConfigTables(readFileSync(path, 'utf8')));
    process.stdout.write(`docs:config: ${path} tables: ${Object.keys(CONFIG_TABLES).join(', ')}\n`);
}
