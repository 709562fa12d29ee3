/**
 * `npx chrysalis <group> <command> ...` — each group lives in its own module and returns an exit code.
 */
type Group = { run(argv: string[]): Promise<number>; summary: string };

// require, not import(): bin/chrysalis.js registers only tsx's CommonJS hook, and a dynamic import() of an
// extensionless .ts path goes through Node's ESM resolver, which fails ("Cannot find module .../cli/model").
const groups: Record<string, () => Promise<Group>> = {
    attest: async () => require('./attest') as Group,
    client: async () => require('./client') as Group,
    model: async () => require('./model') as Group,
    proxy: async () => require('./proxy') as Group,
    worker: async () => require('./worker') as Group,
};

export async function main(argv: string[]): Promise<number> {
    const [name, ...rest] = argv;
    const load = name ? groups[name] : undefined;
    if (!load) {
        const lines = await Promise.all(
            Object.entries(groups).map(async ([n, g]) => {
                try {
                    return `  ${n.padEnd(8)} ${(await g()).summary}`;
                } catch {
                    return `  ${n}`;
                }
            }),
        );
        process.stderr.write(`usage: chrysalis <group> <command> [options]\n\ngroups:\n${lines.join('\n')}\n`);
        return name ? 2 : 0;
    }
    try {
        return await (await load()).run(rest);
    } catch (err) {
        process.stderr.write(`chrysalis ${name}: ${(err as Error).message}\n`);
        return 1;
    }
}
