import { Address, Cell, toNano } from '@ton/core';
import { UIProvider } from '@ton/blueprint';

/**
 * Script arguments: `--name value` (or `--name=value`) on the command line, otherwise asked for through the UI.
 * blueprint's own option parser rejects options it does not know, so they go after `--`:
 * `npx blueprint run allowModel --testnet --tonconnect -- --registry EQ... --model 0xabc... --kind 1 --name mlp`.
 */
export class ScriptArgs {
    private readonly given = new Map<string, string>();

    constructor(
        argv: string[],
        private readonly ui: UIProvider,
    ) {
        for (let i = 0; i < argv.length; i++) {
            const arg = argv[i];
            // A bare word is most likely the old `key=value` style or a typo; ignoring it would prompt for what it meant.
            if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}": arguments are --name value`);
            const eq = arg.indexOf('=');
            if (eq > 0) {
                this.given.set(arg.slice(2, eq), arg.slice(eq + 1));
            } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
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

    /** A non-negative decimal integer (ids, billing units, unix times, seconds). */
    async uint(name: string, question: string): Promise<bigint> {
        const text = await this.string(name, question);
        if (!/^\d+$/.test(text)) throw new Error(`${name}: not a non-negative integer: ${text}`);
        return BigInt(text);
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

    /** Exactly `length` bytes given as hex (with or without 0x). */
    async bytes(name: string, question: string, length: number): Promise<Buffer> {
        return parseHexBytes(name, await this.string(name, question), length);
    }

    /** An amount in TON ("1.5"), returned in nanoTON. */
    async ton(name: string, question: string): Promise<bigint> {
        return parseTon(name, await this.string(name, question));
    }

    /** A bag of cells in base64, as wallets and the proxy hand them out. */
    async cell(name: string, question: string): Promise<Cell> {
        const text = await this.string(name, question);
        try {
            return Cell.fromBase64(text);
        } catch {
            throw new Error(`${name}: not a base64 BoC`);
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

/** toNano alone would take "-1" or "1e3"; an amount here is a plain non-negative decimal with at most 9 places. */
export function parseTon(name: string, text: string): bigint {
    if (!/^\d+(\.\d{1,9})?$/.test(text)) throw new Error(`${name}: not a TON amount: ${text}`);
    return toNano(text);
}

export function parseHexBytes(name: string, text: string, length: number): Buffer {
    const hex = text.replace(/^0x/, '');
    if (!new RegExp(`^[0-9a-fA-F]{${length * 2}}$`).test(hex)) {
        throw new Error(`${name}: expected ${length * 2} hex digits`);
    }
    return Buffer.from(hex, 'hex');
}
