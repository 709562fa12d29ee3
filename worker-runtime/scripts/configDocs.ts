/**
 * Keeps the configuration tables of README.md and docs/ equal to the schemas the code reads: each table sits between
 * `<!-- config:<name> -->` and `<!-- /config:<name> -->` and is `describeSchema` of that schema. `npm run docs:config`
 * rewrites them; tests/runtime/readme.spec.ts and tests/cli/help.spec.ts fail when they drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROXY_START_SCHEMA } from '../src/cli/proxy';
import { NETWORK_SCHEMA } from '../src/cli/networkConfig';
import { CLIENT_SCHEMA } from '../src/client/config';
import { describeSchema, Schema } from '../src/config/schema';
import { PROXY_SCHEMA } from '../src/roles/proxy/config';
import { workerConfigSchema } from '../src/roles/worker/config';

export const CONFIG_TABLES: Record<string, Schema> = {
    worker: workerConfigSchema,
    proxy: PROXY_SCHEMA,
    'proxy-start': PROXY_START_SCHEMA,
    network: NETWORK_SCHEMA,
    client: CLIENT_SCHEMA,
};

/** Files holding marked tables, relative to the repository root. */
export const CONFIG_DOCS = ['README.md', 'docs/worker.md', 'docs/proxy.md', 'docs/client.md'];

/** The names of the marked tables in `markdown`. */
export function markedTables(markdown: string): string[] {
    return [...markdown.matchAll(/<!-- config:([\w-]+) -->/g)].map((m) => m[1]);
}

/** The markdown with every marked table replaced by the current schema's. */
export function fillConfigTables(markdown: string): string {
    let out = markdown;
    for (const name of markedTables(markdown)) {
        const schema = CONFIG_TABLES[name];
        if (!schema) throw new Error(`no configuration schema is called "${name}"`);
        const open = `<!-- config:${name} -->`;
        const close = `<!-- /config:${name} -->`;
        const start = out.indexOf(open);
        const end = out.indexOf(close, start);
        if (end < 0) throw new Error(`${open} has no ${close}`);
        out = `${out.slice(0, start + open.length)}\n${describeSchema(schema)}\n${out.slice(end)}`;
    }
    return out;
}

if (require.main === module) {
    const root = join(__dirname, '..', '..');
    for (const file of CONFIG_DOCS) {
        const path = join(root, file);
        writeFileSync(path, fillConfigTables(readFileSync(path, 'utf8')));
    }
    process.stdout.write(`docs:config: rewrote the tables of ${CONFIG_DOCS.join(', ')}\n`);
}
