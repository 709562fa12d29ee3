/**
 * The README is followed word for word by newcomers: its configuration tables must be the schemas the code reads,
 * and every command, script, CLI group and link it names must exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DOCS, fillConfigTables, markedTables } from '../../worker-runtime/scripts/configDocs';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function matches(re: RegExp): string[] {
    return [...readme.matchAll(re)].map((m) => m[1]);
}

describe('README', () => {
    it('shows every configuration table of the worker, proxy and client exactly as the schemas are (npm run docs:config)', () => {
        expect(markedTables(readme).sort()).toEqual(['client', 'network', 'proxy', 'proxy-start', 'worker']);
        for (const file of CONFIG_DOCS) {
            const markdown = readFileSync(join(root, file), 'utf8');
            expect(fillConfigTables(markdown)).toBe(markdown);
        }
    });

    it('names only npm scripts that package.json defines', () => {
        const used = new Set(matches(/npm run ([\w:-]+)/g));
        expect(used.size).toBeGreaterThan(5);
        expect([...used].filter((s) => !(s in pkg.scripts))).toEqual([]);
    });

    it('names only blueprint scripts that exist in scripts/', () => {
        // Script names appear as `npx blueprint run <name>` and as steps written `<name> --<arg>`.
        const named = new Set([...matches(/blueprint run (\w+)/g), ...matches(/`([a-z]+[A-Z]\w*) --/g)]);
        expect(named.size).toBeGreaterThan(5);
        expect([...named].filter((s) => !existsSync(join(root, 'scripts', `${s}.ts`)))).toEqual([]);
    });

    it('passes script arguments after `--`, since blueprint rejects options it does not know', () => {
        const runs = matches(/(npx blueprint run \w+[^`\n]*)/g);
        expect(runs.length).toBeGreaterThan(2);
        const blueprintOptions = /^--(testnet|mainnet|tonconnect|mnemonic|custom\S*)$/;
        const misplaced = runs.filter((line) => {
            const beforeSeparator = line.split(' -- ')[0].split(/\s+/);
            return beforeSeparator.some((word) => word.startsWith('--') && !blueprintOptions.test(word));
        });
        expect(misplaced).toEqual([]);
    });

    it('names only chrysalis CLI groups that exist', () => {
        const groups = new Set(matches(/npx chrysalis (\w+)/g));
        expect(groups.size).toBeGreaterThan(0);
        expect([...groups].filter((g) => !existsSync(join(root, 'worker-runtime/src/cli', `${g}.ts`)))).toEqual([]);
    });

    it('links only to files that exist', () => {
        const links = matches(/\]\(([^)#]+)(?:#[^)]*)?\)/g).filter((l) => !/^https?:/.test(l));
        expect(links.length).toBeGreaterThan(5);
        expect(links.filter((l) => !existsSync(join(root, l)))).toEqual([]);
    });
});
