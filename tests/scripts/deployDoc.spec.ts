/**
 * docs/deploy.md, the runbook from nothing to a serving network, names only what exists: every `npx chrysalis <group>
 * <command>` is a command of that group (its usage, as the CLI prints it, lists it), every blueprint script is in
 * scripts/ (docs.spec.ts checks those on every page), every `npm run` script is in package.json, and every
 * CHRYSALIS_ variable is one the roles, the client or the network configuration read. The README links to it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_SCHEMA } from '../../worker-runtime/src/client/config';
import { NETWORK_SCHEMA } from '../../worker-runtime/src/cli/networkConfig';
import { PROXY_START_SCHEMA } from '../../worker-runtime/src/cli/proxy';
import { GROUPS } from '../../worker-runtime/src/cli/main';
import { PROXY_SCHEMA } from '../../worker-runtime/src/roles/proxy/config';
import { workerConfigSchema } from '../../worker-runtime/src/roles/worker/config';

const root = join(__dirname, '..', '..');
const page = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8');

jest.setTimeout(180_000);

describe('docs/deploy.md', () => {
    it('is linked from the README', () => {
        expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('(docs/deploy.md)');
    });

    it('names only chrysalis commands that exist', () => {
        const commands = [...page.matchAll(/npx chrysalis (\w+) ([\w-]+)/g)].map((m) => ({
            group: m[1],
            command: m[2],
        }));
        expect(commands.length).toBeGreaterThan(15);
        const groups = [...new Set(commands.map((c) => c.group))];
        expect(groups.filter((g) => !(g in GROUPS))).toEqual([]);
        const usage = Object.fromEntries(
            groups.map((g) => {
                const run = spawnSync(process.execPath, [join(root, 'bin', 'chrysalis.js'), g, '--help'], {
                    cwd: root,
                    encoding: 'utf8',
                    env: { ...process.env, CHRYSALIS_CLIENT_MNEMONIC: '' },
                    timeout: 120_000,
                });
                return [g, run.stdout + run.stderr];
            }),
        );
        const unknown = commands.filter(
            ({ group, command }) =>
                !new RegExp(`(chrysalis ${group} ${command}\\b|^\\s+${command}\\b)`, 'm').test(usage[group]),
        );
        expect(unknown).toEqual([]);
    });

    it('names blueprint scripts in scripts/ and npm scripts in package.json', () => {
        const scripts = [...page.matchAll(/npx blueprint run (\w+)/g)].map((m) => m[1]);
        expect(scripts.length).toBeGreaterThan(10);
        expect(scripts.filter((s) => !existsSync(join(root, 'scripts', `${s}.ts`)))).toEqual([]);
        const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
        const npm = [...page.matchAll(/npm run ([\w:]+)/g)].map((m) => m[1]);
        expect(npm.filter((s) => !(s in pkg.scripts))).toEqual([]);
    });

    it('names only configuration variables that are read', () => {
        const known = new Set(
            [CLIENT_SCHEMA, NETWORK_SCHEMA, PROXY_START_SCHEMA, PROXY_SCHEMA, workerConfigSchema].flatMap((schema) =>
                Object.values(schema as Record<string, { env: string }>).map((s) => s.env),
            ),
        );
        const named = [...new Set([...page.matchAll(/\b(CHRYSALIS_[A-Z_]+)\b/g)].map((m) => m[1]))];
        expect(named.length).toBeGreaterThan(15);
        expect(named.filter((v) => !known.has(v))).toEqual([]);
    });
});
