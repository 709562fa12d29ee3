/**
 * `npx chrysalis <group> <command> ...` — each group lives in its own module and returns an exit code. A group's
 * module is loaded only when that group runs: the worker, proxy and client pull in the TON, Redis and ONNX Runtime
 * libraries, which take seconds to load, so `chrysalis --help` must not.
 */
type Group = { run(argv: string[]): Promise<number> };

interface GroupEntry {
    summary: string;
    // require, not import(): bin/chrysalis.js registers only tsx's CommonJS hook, and a dynamic import() of an
    // extensionless .ts path goes through Node's ESM resolver, which fails ("Cannot find module .../cli/model").
    load(): Group;
}

export const GROUPS: Record<string, GroupEntry> = {
    attest: {
        summary: 'TDX quotes: make one on this TDX guest, verify one, print image hashes (quote, verify, image-hash)',
        load: () => require('./attest') as Group,
    },
    client: {
        summary:
            'client account and requests: serve (OpenAI-compatible gateway), wallet, open, top-up, withdraw, status, infer, verify-proxy, commit, account',
        load: () => require('./client') as Group,
    },
    devnet: {
        summary: 'a devnet TON chain behind the toncenter API (chain), its faucet (fund) and clock (advance)',
        load: () => require('./devnet') as Group,
    },
    keys: {
        summary: 'make a worker or proxy key where this runs (new) and print its public key',
        load: () => require('./keys') as Group,
    },
    model: {
        summary: 'inspect a model file or folder, run it, or try a chat/embedding/speech folder',
        load: () => require('./model') as Group,
    },
    proxy: {
        summary: 'run the proxy against a TON network (start), close it (close), rebuild its ledger (recover)',
        load: () => require('./proxy') as Group,
    },
    worker: { summary: 'run a worker against a TON network (start)', load: () => require('./worker') as Group },
};

export function usage(): string {
    const lines = Object.entries(GROUPS).map(([name, g]) => `  ${name.padEnd(8)} ${g.summary}`);
    return (
        `usage: chrysalis <group> <command> [options]\n\ngroups:\n${lines.join('\n')}\n\n` +
        `chrysalis <group> --help describes a group's commands and options.\n`
    );
}

export async function main(argv: string[]): Promise<number> {
    const [name, ...rest] = argv;
    if (name === '--help' || name === '-h' || name === 'help') {
        process.stdout.write(usage());
        return 0;
    }
    const group = name ? GROUPS[name] : undefined;
    if (!group) {
        process.stderr.write(`${name ? `chrysalis: unknown group ${name}\n\n` : ''}${usage()}`);
        return name ? 2 : 0;
    }
    try {
        return await group.load().run(rest);
    } catch (err) {
        process.stderr.write(`chrysalis ${name}: ${(err as Error).message}\n`);
        return 1;
    }
}
