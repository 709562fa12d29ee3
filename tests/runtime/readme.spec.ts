/**
 * The README and the docs are followed word for word by newcomers: the configuration tables must be the schemas the
 * code reads, and every command, script, CLI group and link that any page names must exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONFIG_DOCS, fillConfigTables, markedTables } from '../../worker-runtime/scripts/configDocs';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
/** Every page a reader follows: the README, FEES.md and docs/. */
const PAGES = [
    'README.md',
    'FEES.md',
    ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
];
const text = (page: string) => readFileSync(join(root, page), 'utf8');

function matches(page: string, re: RegExp): string[] {
    return [...text(page).matchAll(re)].map((m) => m[1]);
}

/** `[page, offending item]` pairs over every page, so a failure names the page. */
function offending(find: (page: string) => string[]): Array<[string, string]> {
    return PAGES.flatMap((page) => find(page).map((item): [string, string] => [page, item]));
}

describe('README and docs', () => {
    it('shows every configuration table of the worker, proxy and client exactly as the schemas are (npm run docs:config)', () => {
        expect(markedTables(text('README.md')).sort()).toEqual(['client', 'network', 'proxy', 'proxy-start', 'worker']);
        for (const file of CONFIG_DOCS) {
            const markdown = readFileSync(join(root, file), 'utf8');
            expect(fillConfigTables(markdown)).toBe(markdown);
        }
    });

    it('name only npm scripts that package.json defines', () => {
        const script = /npm run (?:-s |--silent )?([\w:-]+)/g;
        expect(new Set(matches('README.md', script)).size).toBeGreaterThan(5);
        expect(offending((page) => matches(page, script).filter((s) => !(s in pkg.scripts)))).toEqual([]);
    });

    it('name only blueprint scripts that exist in scripts/', () => {
        // Script names appear as `npx blueprint run <name>` and as steps written `<name> --<arg>`.
        const named = (page: string) => [
            ...matches(page, /blueprint run (\w+)/g),
            ...matches(page, /`([a-z]+[A-Z]\w*) --/g),
        ];
        expect(new Set(named('README.md')).size).toBeGreaterThan(5);
        expect(offending((page) => named(page).filter((s) => !existsSync(join(root, 'scripts', `${s}.ts`))))).toEqual(
            [],
        );
    });

    it('pass script arguments after `--`, since blueprint rejects options it does not know', () => {
        const blueprintOptions = /^--(testnet|mainnet|tonconnect|mnemonic|custom\S*)$/;
        const misplaced = (page: string) =>
            matches(page, /(npx blueprint run \w+[^`\n]*)/g).filter((line) => {
                const beforeSeparator = line.split(' -- ')[0].split(/\s+/);
                return beforeSeparator.some((word) => word.startsWith('--') && !blueprintOptions.test(word));
            });
        expect(matches('README.md', /(npx blueprint run \w+[^`\n]*)/g).length).toBeGreaterThan(2);
        expect(offending(misplaced)).toEqual([]);
    });

    it('name only chrysalis CLI groups that exist', () => {
        const groups = (page: string) => matches(page, /npx chrysalis (\w+)/g);
        expect(new Set(groups('README.md')).size).toBeGreaterThan(3);
        expect(
            offending((page) =>
                groups(page).filter((g) => !existsSync(join(root, 'worker-runtime/src/cli', `${g}.ts`))),
            ),
        ).toEqual([]);
    });

    it('link only to files that exist (relative to the page)', () => {
        const links = (page: string) =>
            matches(page, /\]\(([^)#]+)(?:#[^)]*)?\)/g).filter((l) => !/^(https?|mailto):/.test(l));
        expect(links('README.md').length).toBeGreaterThan(5);
        expect(offending((page) => links(page).filter((l) => !existsSync(join(root, dirname(page), l))))).toEqual([]);
    });
});
