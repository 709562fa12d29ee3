/**
 * contracts/schema.tlb against the compiled contracts' ABI (build/<Project>/*.abi, written by `npm run build`): every
 * opcode in the schema is the header of the ABI type of the same name, every field has the ABI's name, order and
 * encoding, and every message type the contracts compile has its constructor in the schema. Layouts the contracts
 * build by hand (no ABI type) are listed below with the reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { camel, parseTlb, pascal, TlbConstructor, TlbField } from './schemaTlb';

interface AbiFieldType {
    kind: 'simple' | 'dict';
    type?: string;
    optional?: boolean;
    format?: number | string;
    key?: string;
    keyFormat?: number;
    value?: string;
    valueFormat?: number | string;
}
interface AbiType {
    name: string;
    header: number | null;
    fields: { name: string; type: AbiFieldType }[];
}

const root = join(__dirname, '..', '..');
const schema = parseTlb(readFileSync(join(root, 'contracts', 'schema.tlb'), 'utf8'));

/** Every type of every compiled ABI, by name and opcode (a type compiled into several projects must agree). */
const key = (name: string, header: number | null | undefined) => `${name}#${header ?? '_'}`;
const abiTypes = (() => {
    const byName = new Map<string, AbiType>();
    const buildDir = join(root, 'build');
    for (const project of readdirSync(buildDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
        for (const file of readdirSync(join(buildDir, project.name)).filter((f) => f.endsWith('.abi'))) {
            const abi = JSON.parse(readFileSync(join(buildDir, project.name, file), 'utf8')) as { types: AbiType[] };
            for (const t of abi.types) {
                const k = key(t.name, t.header);
                const seen = byName.get(k);
                if (seen && JSON.stringify(seen) !== JSON.stringify(t)) {
                    throw new Error(`ABI type ${k} differs between projects (${file})`);
                }
                byName.set(k, t);
            }
        }
    }
    return byName;
})();

// Layouts with no Tact type behind them: written and read by hand, so there is no ABI to compare with.
const HAND_LAID: Record<string, string> = {
    bool_false: 'TL-B builtin',
    bool_true: 'TL-B builtin',
    receipt: 'signed by the worker runtime (worker-runtime/src/protocol/receipt.ts), parsed field by field',
    worker_registration:
        'signed by the worker key (worker-runtime/src/protocol/registration.ts), hashed by the registry from a builder',
    model_info: 'getter tuple, not a cell layout',
    model_entry: 'dictionary leaf written with builder calls',
    registry_gov: 'registry storage continuation, written by hand (registry_core.tact)',
    registry_ext: 'four references in one cell, written and read by hand (extCell / extOf)',
    registry_storage: 'the registry storage as a whole, root cell written by hand',
    billing_codes: 'registry storage continuation, written by hand',
    worker_stake_storage: 'written by the registry (workerStakeData) for the StateInit, read by the Tact loader',
};

// Storage constructors (`= XStorage`) are the contracts' `X$Data`; other names map snake_case -> PascalCase.
// `excesses` is sent by hand (sendExcesses, contracts/common/utils.tact); BillingExcesses is the same layout compiled.
const ALIASES: Record<string, string> = { billing_voucher: 'Voucher', excesses: 'BillingExcesses' };
function abiNameOf(c: TlbConstructor): string {
    if (ALIASES[c.name]) return ALIASES[c.name];
    if (c.opcode === undefined && c.result.endsWith('Storage')) return `${c.result.slice(0, -'Storage'.length)}$Data`;
    return pascal(c.name);
}

/** Whether a TL-B field type encodes as the ABI field type does. */
function sameEncoding(tlb: string, abi: AbiFieldType): boolean {
    const t = tlb.replace(/\s+/g, ' ');
    let m: RegExpMatchArray | null;
    if (abi.kind === 'dict') {
        m = t.match(/^\(HashmapE (\d+) (\^?)(\w+)\)$/);
        return (
            !!m &&
            abi.key === 'uint' &&
            abi.keyFormat === Number(m[1]) &&
            (m[2] === '^') === (abi.valueFormat === 'ref')
        );
    }
    const opt = abi.optional === true;
    if ((m = t.match(/^\(Maybe \^(\w+)\)$/))) return opt && (abi.type === 'cell' || abi.type === m[1]);
    if (opt && abi.type === 'address') return t === 'MsgAddress';
    if (opt) return false;
    if ((m = t.match(/^uint(\d+)$/))) return abi.type === 'uint' && abi.format === Number(m[1]);
    if ((m = t.match(/^int(\d+)$/))) return abi.type === 'int' && abi.format === Number(m[1]);
    if ((m = t.match(/^bits(\d+)$/))) return abi.type === 'fixed-bytes' && abi.format === Number(m[1]) / 8;
    if (t === 'Grams') return abi.type === 'uint' && abi.format === 'coins';
    if (t === 'Bool') return abi.type === 'bool';
    if (t === 'MsgAddressInt') return abi.type === 'address';
    if (t === '^string') return abi.type === 'string';
    if (t.startsWith('^')) return abi.type === 'cell';
    // A struct stored inline (`params:NetworkParams`).
    return abi.type === t;
}

const compared = schema.filter((c) => !(c.name in HAND_LAID));

/** What is wrong with constructor `c` against the ABI, or undefined. */
function mismatch(c: TlbConstructor): string | undefined {
    // Looked up by name and opcode: a wrong opcode in the schema finds no type.
    const abi = abiTypes.get(key(abiNameOf(c), c.opcode));
    if (!abi) return `no ABI type ${key(abiNameOf(c), c.opcode)}`;
    const names = (f: TlbField[]) => f.map((x) => camel(x.name)).join(' ');
    if (names(c.fields) !== abi.fields.map((f) => f.name).join(' ')) {
        return `${c.name}: fields ${names(c.fields)}, ABI ${abi.fields.map((f) => f.name).join(' ')}`;
    }
    for (const [i, f] of c.fields.entries()) {
        const a = abi.fields[i].type;
        if (!sameEncoding(f.type, a)) return `${c.name}.${f.name}: schema says ${f.type}, ABI ${JSON.stringify(a)}`;
    }
    return undefined;
}

describe('contracts/schema.tlb matches the compiled ABI', () => {
    it('reads every constructor of the schema (billing, registry and staking sections)', () => {
        expect(schema.length).toBeGreaterThan(90);
        expect(compared.filter((c) => c.opcode !== undefined).length).toBeGreaterThan(70);
    });

    it.each(compared.map((c) => [c.opcode === undefined ? c.name : `${c.name}#${c.opcode.toString(16)}`, c] as const))(
        '%s: opcode, field names, order and encodings',
        (_, c) => {
            expect(mismatch(c)).toBeUndefined();
        },
    );

    it('a schema with a wrong opcode, field name, order or width is caught (the check is not vacuous)', () => {
        const notify = schema.find((c) => c.name === 'charge_notify')!;
        const [units, amount, owner] = notify.fields;
        const wrong: TlbConstructor[] = [
            { ...notify, opcode: 0x63680024 },
            { ...notify, fields: [{ ...units, name: 'count' }, amount, owner] },
            { ...notify, fields: [amount, units, owner] },
            { ...notify, fields: [{ ...units, type: 'uint32' }, amount, owner] },
            { ...notify, fields: [units, { ...amount, type: 'Grams' }, owner] },
            { ...notify, fields: [units, amount] },
        ];
        expect(mismatch(notify)).toBeUndefined();
        for (const c of wrong) expect(mismatch(c)).toBeDefined();
    });

    it('every message and event type the contracts compile (an ABI type with an opcode) is in the schema', () => {
        const inSchema = new Set(schema.filter((c) => c.opcode !== undefined).map((c) => key(abiNameOf(c), c.opcode)));
        const missing = [...abiTypes.values()]
            .filter((t) => t.header !== null)
            .map((t) => key(t.name, t.header))
            .filter((k) => !inSchema.has(k));
        expect(missing).toEqual([]);
    });

    it('the comparison rejects a wrong encoding (the checker is not vacuous)', () => {
        expect(sameEncoding('uint64', { kind: 'simple', type: 'uint', format: 32 })).toBe(false);
        expect(sameEncoding('Grams', { kind: 'simple', type: 'uint', format: 64 })).toBe(false);
        expect(sameEncoding('MsgAddress', { kind: 'simple', type: 'address', optional: false })).toBe(false);
        expect(sameEncoding('uint64', { kind: 'simple', type: 'uint', format: 64 })).toBe(true);
    });
});
