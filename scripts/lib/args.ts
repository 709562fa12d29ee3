import { Address, toNano } from '@ton/core';
import { UIProvider } from '@ton/blueprint';

/**
 * Script arguments: `--name value` (or `--name=value`) on the command line, otherwise asked for through the UI.
 * `npx blueprint run allowModel --registry EQ... --model 0xabc... --kind 1 --name mlp` runs without prompts.
 */
export class ScriptArgs {
    private readonly given = new Map<string, string>();

    constructor(
        argv: string[],
        private readonly ui: UIProvider,
    ) {
        for (let i = 0; i < argv.length; i++) {
            const arg = argv[i];
            if (!arg.startsWith('--')) continue;
            const eq = arg.indexOf('=');
            if (eq > 0) {
                this.given.set(arg.slice(2, eq), arg.slice(eq + 1));
            } else if (i + 1 < argv.length) {
                this.given.set(arg.slice(2), argv[++i]);
            } else {
                throw new Error(`argument ${arg} needs a value`);
            }
        }
    }

    has(name: string): boolean {
        return this.given.has(name);
    }

    /** All `--name value` pairs given on the command line. */
    entries(): [string, string][] {
        return [...this.given.entries()];
    }

    async string(name: string, question: string): Promise<string> {
        const value = this.given.get(name) ?? (await this.ui.input(question));
        if (value.trim() === '') throw new Error(`${name}: a value is required`);
        return value.trim();
    }

    async address(name: string, question: string): Promise<Address> {
        const text = this.given.get(name);
        if (text === undefined) return this.ui.inputAddress(question);
        try {
            return Address.parse(text);
        } catch {
            throw new Error(`${name}: not a TON address: ${text}`);
        }
    }

    async bigint(name: string, question: string): Promise<bigint> {
        return parseBigint(name, await this.string(name, question));
    }

    /** A 256-bit hash: hex (with or without 0x, 64 digits) or decimal. */
    async uint256(name: string, question: string): Promise<bigint> {
        const text = await this.string(name, question);
        const value = /^(0x)?[0-9a-fA-F]{64}$/.test(text)
            ? BigInt('0x' + text.replace(/^0x/, ''))
            : parseBigint(name, text);
        if (value < 0n || value >= 1n << 256n) throw new Error(`${name}: not an unsigned 256-bit value: ${text}`);
        return value;
    }

    /** An amount in TON ("1.5"), returned in nanoTON. */
    async ton(name: string, question: string): Promise<bigint> {
        const text = await this.string(name, question);
        try {
            return toNano(text);
        } catch {
            throw new Error(`${name}: not a TON amount: ${text}`);
        }
    }

    async optional(name: string): Promise<string | undefined> {
        return this.given.get(name);
    }
}

export function parseBigint(name: string, text: string): bigint {
    try {
        return BigInt(text);
    } catch {
        throw new Error(`${name}: not an integer: ${text}`);
    }
}
