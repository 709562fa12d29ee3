/**
 * The script examples of every page (README.md and docs/*.md) are run word for word: the scripts they name exist,
 * their arguments come after `--`, model kinds are given by name, and every script is documented.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_KINDS } from '../../worker-runtime/src/inference/metering';

const root = join(__dirname, '..', '..');
const pages = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
];
const text = Object.fromEntries(pages.map((p) => [p, readFileSync(join(root, p), 'utf8')]));
const runs = pages.flatMap((page) =>
    [...text[page].matchAll(/npx blueprint run (\w+)([^`\n]*)/g)].map((m) => ({ page, script: m[1], line: m[0] })),
);

describe('script examples in README.md and docs/', () => {
    it('name only scripts that exist', () => {
        expect(runs.length).toBeGreaterThan(5);
        const missing = runs.filter((r) => !existsSync(join(root, 'scripts', `${r.script}.ts`)));
        expect(missing).toEqual([]);
    });

    it('pass script arguments after `--`, since blueprint rejects options it does not know', () => {
        const blueprintOptions = /^--(testnet|mainnet|tonconnect|mnemonic|custom\S*)$/;
        const misplaced = runs.filter((r) =>
            r.line
                .split(' -- ')[0]
                .split(/\s+/)
                .some((word) => word.startsWith('--') && !blueprintOptions.test(word)),
        );
        expect(misplaced).toEqual([]);
    });

    it('give model kinds by name', () => {
        const kinds = pages.flatMap((page) =>
            [...text[page].matchAll(/allowModel[^\n]*?--kind (\S+)/g)].map((m) => ({ page, kind: m[1] })),
        );
        expect(kinds.length).toBeGreaterThan(0);
        const names: readonly string[] = [...MODEL_KINDS, '<kind'];
        expect(kinds.filter((k) => !names.some((n) => k.kind.startsWith(n)))).toEqual([]);
    });

    it('list every model kind with its registry code', () => {
        const page = text['docs/contracts-registry.md'];
        expect(MODEL_KINDS.filter((k, i) => !page.includes(`\`${k}\` ${i + 1}`))).toEqual([]);
    });

    it('document every script', () => {
        const documented = text['docs/contracts-registry.md'] + text['docs/billing.md'];
        const scripts = readdirSync(join(root, 'scripts'))
            .filter((f) => f.endsWith('.ts'))
            .map((f) => f.replace(/\.ts$/, ''));
        expect(scripts.filter((s) => !new RegExp(`\\b${s}\\b`).test(documented))).toEqual([]);
    });
});
