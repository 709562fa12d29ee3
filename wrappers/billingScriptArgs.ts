/**
 * Argument parsing shared by the billing blueprint scripts (scripts/*.ts): arguments are `key=value` words, e.g.
 * `npx blueprint run topUp --testnet --tonconnect -- account=EQ... amount=1.5`. Missing or malformed values are
 * reported by name.
 */
import { Address, Cell, toNano } from '@ton/core';
import { keyPairFromSeed, KeyPair } from '@ton/crypto';

export class ScriptArgs {
    private readonly values = new Map<string, string>();

    constructor(args: string[]) {
        for (const a of args) {
            const i = a.indexOf('=');
            if (i <= 0) throw new Error(`argument "${a}" is not key=value`);
            this.values.set(a.slice(0, i), a.slice(i + 1));
        }
    }

    has(key: string): boolean {
        return this.values.has(key);
    }

    string(key: string, fallback?: string): string {
        const v = this.values.get(key) ?? fallback;
        if (v === undefined) throw new Error(`missing argument ${key}=...`);
        return v;
    }

    address(key: string): Address {
        const v = this.string(key);
        try {
            return Address.parse(v);
        } catch {
            throw new Error(`${key}=${v} is not a TON address`);
        }
    }

    /** An amount in TON (decimal), returned in nanoTON. */
    ton(key: string, fallback?: string): bigint {
        const v = this.string(key, fallback);
        if (!/^\d+(\.\d{1,9})?$/.test(v)) throw new Error(`${key}=${v} is not an amount of TON`);
        return toNano(v);
    }

    bigint(key: string, fallback?: string): bigint {
        const v = this.string(key, fallback);
        if (!/^\d+$/.test(v)) throw new Error(`${key}=${v} is not a non-negative integer`);
        return BigInt(v);
    }

    /** The proxy's Ed25519 key pair from a 32-byte hex seed (`seed=`), or from env CHRYSALIS_PROXY_SEED. */
    proxyKeys(): KeyPair {
        const hex = this.values.get('seed') ?? process.env.CHRYSALIS_PROXY_SEED;
        if (!hex || !/^[0-9a-fA-F]{64}$/.test(hex)) {
            throw new Error('the proxy key: give seed=<64 hex> or set CHRYSALIS_PROXY_SEED');
        }
        return keyPairFromSeed(Buffer.from(hex, 'hex'));
    }

    cell(key: string): Cell {
        const v = this.string(key);
        try {
            return Cell.fromBase64(v);
        } catch {
            throw new Error(`${key} is not a base64 BoC`);
        }
    }
}
