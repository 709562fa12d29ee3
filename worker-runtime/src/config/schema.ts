import { Address } from '@ton/core';
import { ConfigError } from '../errors';

/** One setting: where it comes from, its type, its default and what it means (the README's tables come from here). */
export interface Setting<T> {
    env: string;
    description: string;
    default?: T;
    parse(raw: string): T;
}

export type Schema = Record<string, Setting<unknown>>;
export type ConfigOf<S extends Schema> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export function stringSetting(env: string, description: string, def?: string): Setting<string> {
    return { env, description, default: def, parse: (raw) => raw };
}

export function intSetting(
    env: string,
    description: string,
    def?: number,
    min = 0,
    max = Number.MAX_SAFE_INTEGER,
): Setting<number> {
    return {
        env,
        description,
        default: def,
        parse(raw) {
            const n = Number(raw);
            if (!Number.isInteger(n) || n < min || n > max) {
                const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
                throw new Error(`expected an integer ${range}, got "${raw}"`);
            }
            return n;
        },
    };
}

export function boolSetting(env: string, description: string, def?: boolean): Setting<boolean> {
    return {
        env,
        description,
        default: def,
        parse(raw) {
            if (/^(1|true|yes)$/i.test(raw)) return true;
            if (/^(0|false|no)$/i.test(raw)) return false;
            throw new Error(`expected true or false, got "${raw}"`);
        },
    };
}

/** A TON address in any form; kept as the text given (the value is checked, never echoed: it may be pasted wrong). */
export function addressSetting(env: string, description: string, def?: string): Setting<string> {
    return {
        env,
        description,
        default: def,
        parse(raw) {
            try {
                Address.parse(raw);
            } catch {
                throw new Error('expected a TON address (EQ…/UQ…/0:<hex>)');
            }
            return raw;
        },
    };
}

/** Exactly `bytes` bytes as hex (keys, seeds); the message never repeats the value, which may be secret. */
export function hexSetting(env: string, description: string, bytes: number, def?: string): Setting<string> {
    return {
        env,
        description,
        default: def,
        parse(raw) {
            if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(raw)) {
                throw new Error(`expected ${bytes * 2} hex characters (${bytes} bytes), got ${raw.length} characters`);
            }
            return raw.toLowerCase();
        },
    };
}

/** A non-negative integer kept as a decimal string (nanoTON and billing units exceed 2^53). */
export function decimalSetting(env: string, description: string, def?: string): Setting<string> {
    return {
        env,
        description,
        default: def,
        parse(raw) {
            if (!/^\d+$/.test(raw)) throw new Error(`expected a non-negative integer, got "${raw}"`);
            return raw;
        },
    };
}

export function enumSetting<T extends string>(env: string, description: string, values: readonly T[], def?: T) {
    return {
        env,
        description: `${description} (${values.join(' | ')})`,
        default: def,
        parse(raw: string): T {
            if (!values.includes(raw as T)) throw new Error(`expected one of ${values.join(', ')}, got "${raw}"`);
            return raw as T;
        },
    } satisfies Setting<T>;
}

/**
 * Reads a whole configuration once, at start-up: every problem is reported in one error that names the variables,
 * so an operator fixes them in one go rather than one restart at a time.
 */
export function readConfig<S extends Schema>(
    schema: S,
    env: Record<string, string | undefined> = process.env,
    overrides: Partial<ConfigOf<S>> = {},
): ConfigOf<S> {
    const out: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [key, setting] of Object.entries(schema)) {
        if (key in overrides && (overrides as Record<string, unknown>)[key] !== undefined) {
            out[key] = (overrides as Record<string, unknown>)[key];
            continue;
        }
        const raw = env[setting.env];
        if (raw === undefined || raw === '') {
            if (setting.default === undefined) problems.push(`${setting.env} is required: ${setting.description}`);
            else out[key] = setting.default;
            continue;
        }
        try {
            out[key] = setting.parse(raw);
        } catch (err) {
            problems.push(`${setting.env}: ${(err as Error).message}`);
        }
    }
    if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
    return out as ConfigOf<S>;
}

/** The schema as a Markdown table (variable, default, meaning) for the README. */
export function describeSchema(schema: Schema): string {
    const rows = Object.values(schema).map(
        (s) =>
            `| \`${s.env}\` | ${s.default === undefined ? '(required)' : `\`${String(s.default)}\``} | ${s.description} |`,
    );
    return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
