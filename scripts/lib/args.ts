import { parseArgs } from 'node:util';
import { Address, Cell, toNano } from '@ton/core';
import { UIProvider } from '@ton/blueprint';

/**
 * What a script accepts: `--name value` (or `--name=value`) options, and `flag` options that take no value.
 * `describe` is both the prompt and the line of the usage text; `optional` only marks it `[--name]` there (the script
 * supplies the default).
 */
export type ArgSpec = Record<string, { describe: string; optional?: boolean; flag?: boolean }>;

/** A script argument the user got wrong: the message names the argument (blueprint prints it and exits 1). */
export class ScriptArgsError extends Error {
    override readonly name = 'ScriptArgsError';
}

/**
 * Whether missing arguments may be asked for. Blueprint's UI does not say whether a terminal is attached (its prompt
 * on a closed stdin prints the question and ends the process with 0), so a UI may declare it with `interactive`;
 * otherwise stdin must be a TTY.
 */
export function isInteractive(ui: UIProvider): boolean {
    const declared = (ui as { interactive?: unknown }).interactive;
    return typeof declared === 'boolean' ? declared : process.stdin.isTTY === true;
}

/** One line per argument, for error messages: `--registry <Registry address>`, `[--bond <...>]`, `[--print-message]`. */
export function usage(spec: ArgSpec): string {
    return Object.entries(spec)
        .map(([name, s]) => {
            const text = s.flag ? `--${name}` : `--${name} <${s.describe}>`;
            return s.optional || s.flag ? `[${text}]` : text;
        })
        .join('\n  ');
}

/**
 * Script arguments, parsed by `node:util` parseArgs in strict mode (as the chrysalis CLI does): an unknown or
 * mistyped option, a bare word or a missing value is an error that lists the valid arguments. An argument the script
 * needs and was not given is asked for through the UI when interactive, and is an error naming it otherwise.
 * blueprint's own parser rejects options it does not know, so script arguments go after `--`:
 * `npx blueprint run allowModel --testnet --tonconnect -- --registry EQ... --model 0xabc... --kind classifier --name mlp`.
 */
export class ScriptArgs {
    private readonly given: Record<string, string | boolean | undefined>;
    private readonly interactive: boolean;

    constructor(
        argv: string[],
        private readonly spec: ArgSpec,
        private readonly ui: UIProvider,
    ) {
        this.interactive = isInteractive(ui);
        const options = Object.fromEntries(
            Object.entries(spec).map(([name, s]) => [
                name,
                { type: s.flag ? ('boolean' as const) : ('string' as const) },
            ]),
        );
        const args = joinDashValues(argv, spec);
        try {
            this.given = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
        } catch (err) {
            throw new ScriptArgsError(`${explain(err as Error, args, spec)}\nvalid arguments:\n  ${usage(spec)}`);
        }
        for (const [name, value] of Object.entries(this.given)) {
            if (typeof value === 'string' && value.trim() === '') throw new ScriptArgsError(`--${name}: empty value`);
        }
    }

    has(name: string): boolean {
        this.known(name);
        return this.given[name] !== undefined;
    }

    /** A flag option (`--print-message`): true when given. */
    flag(name: string): boolean {
        this.known(name);
        return this.given[name] === true;
    }

    /** The argument's text; asked for when missing and interactive, else an error naming it. */
    async string(name: string): Promise<string> {
        const spec = this.known(name);
        const given = this.given[name];
        if (typeof given === 'string') return given.trim();
        if (!this.interactive) {
            throw new ScriptArgsError(`missing --${name} (${spec.describe}); valid arguments:\n  ${usage(this.spec)}`);
        }
        const answer = (await this.ui.input(spec.describe)).trim();
        if (answer === '') throw new ScriptArgsError(`--${name}: a value is required`);
        return answer;
    }

    async address(name: string): Promise<Address> {
        return parseAddress(name, await this.string(name));
    }

    async bigint(name: string): Promise<bigint> {
        return parseBigint(name, await this.string(name));
    }

    /** A non-negative decimal integer (ids, billing units, unix times, seconds). */
    async uint(name: string): Promise<bigint> {
        const text = await this.string(name);
        if (!/^\d+$/.test(text)) throw new ScriptArgsError(`--${name}: not a non-negative integer: ${text}`);
        return BigInt(text);
    }

    /** A 256-bit hash: hex (with or without 0x, 64 digits) or decimal. */
    async uint256(name: string): Promise<bigint> {
        const text = await this.string(name);
        const value = /^(0x)?[0-9a-fA-F]{64}$/.test(text)
            ? BigInt('0x' + text.replace(/^0x/, ''))
            : parseBigint(name, text);
        if (value < 0n || value >= 1n << 256n) {
            throw new ScriptArgsError(`--${name}: not an unsigned 256-bit value: ${text}`);
        }
        return value;
    }

    /** Exactly `length` bytes given as hex (with or without 0x). */
    async bytes(name: string, length: number): Promise<Buffer> {
        return parseHexBytes(name, await this.string(name), length);
    }

    /** An amount in TON ("1.5"), returned in nanoTON. */
    async ton(name: string): Promise<bigint> {
        return parseTon(name, await this.string(name));
    }

    /** A bag of cells in base64, as wallets and the proxy hand them out. */
    async cell(name: string): Promise<Cell> {
        const text = await this.string(name);
        try {
            return Cell.fromBase64(text);
        } catch {
            throw new ScriptArgsError(`--${name}: not a base64 BoC`);
        }
    }

    /** The given `--name value` pairs among `names` (e.g. the NetworkParams fields of deployRegistry and setParams). */
    pick(names: readonly string[]): [string, string][] {
        return names.flatMap((n) => {
            const v = this.given[n];
            return typeof v === 'string' ? [[n, v.trim()] as [string, string]] : [];
        });
    }

    private known(name: string) {
        const spec = this.spec[name];
        // A script asking for an argument it does not declare is a bug in the script, not a user error.
        if (spec === undefined) throw new Error(`script bug: --${name} is not in its argument list`);
        return spec;
    }
}

/**
 * parseArgs takes `--networkId -239` or `--amount -1` for two options; a value that starts with one dash after an
 * option that takes a value is that option's value (the check of the value then names what is wrong with it).
 */
function joinDashValues(argv: string[], spec: ArgSpec): string[] {
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const name = argv[i].startsWith('--') && !argv[i].includes('=') ? argv[i].slice(2) : undefined;
        const next = argv[i + 1];
        if (name && spec[name] && !spec[name].flag && next !== undefined && /^-[^-]/.test(next)) {
            out.push(`--${name}=${next}`);
            i++;
        } else out.push(argv[i]);
    }
    return out;
}

/** parseArgs' messages suggest `--` tricks that do not apply here; say what was wrong and what was meant. */
function explain(err: Error, argv: string[], spec: ArgSpec): string {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
        const bad = argv.find((a) => a.startsWith('-') && !(a.replace(/^--?/, '').split('=')[0] in spec)) ?? '';
        const name = bad.replace(/^--?/, '').split('=')[0];
        const near = nearest(name, Object.keys(spec));
        return `unknown argument ${bad.split('=')[0]}${near ? ` (did you mean --${near}?)` : ''}`;
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
        const word = argv.find((a, i) => !a.startsWith('-') && (i === 0 || !argv[i - 1].startsWith('--')));
        return `unexpected argument "${word ?? ''}": arguments are written --name value`;
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
        const option = /'(--[\w-]+)/.exec(err.message)?.[1];
        if (option && spec[option.slice(2)]?.flag) return `argument ${option} takes no value`;
        if (option) return `argument ${option} needs a value`;
    }
    return err.message;
}

/** The valid name closest to a typo (edit distance at most a third of its length), if any. */
function nearest(name: string, names: string[]): string | undefined {
    let best: { n: string; d: number } | undefined;
    for (const n of names) {
        const d = editDistance(name.toLowerCase(), n.toLowerCase());
        if (d <= Math.max(1, Math.floor(n.length / 3)) && (!best || d < best.d)) best = { n, d };
    }
    return best?.n;
}

function editDistance(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) {
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        prev = cur;
    }
    return prev[b.length];
}

export function parseAddress(name: string, text: string): Address {
    try {
        return Address.parse(text);
    } catch {
        throw new ScriptArgsError(`--${name}: not a TON address: ${text}`);
    }
}

export function parseBigint(name: string, text: string): bigint {
    try {
        return BigInt(text);
    } catch {
        throw new ScriptArgsError(`--${name}: not an integer: ${text}`);
    }
}

/** toNano alone would take "-1" or "1e3"; an amount here is a plain non-negative decimal with at most 9 places. */
export function parseTon(name: string, text: string): bigint {
    if (!/^\d+(\.\d{1,9})?$/.test(text)) throw new ScriptArgsError(`--${name}: not a TON amount: ${text}`);
    return toNano(text);
}

export function parseHexBytes(name: string, text: string, length: number): Buffer {
    const hex = text.replace(/^0x/, '');
    if (!new RegExp(`^[0-9a-fA-F]{${length * 2}}$`).test(hex)) {
        throw new ScriptArgsError(`--${name}: expected ${length * 2} hex digits`);
    }
    return Buffer.from(hex, 'hex');
}
