// A small reader for contracts/schema.tlb: enough TL-B to compare its constructors with the compiled contracts' ABI
// (tests/contracts/schema_abi.spec.ts). It reads `name#hex fields = Type;` and `name$_ fields = Type;` declarations,
// with `^[ ... ]` continuations flattened (Tact's ABI does not show where a layout spills into a ref).

export interface TlbField {
    name: string;
    /** The field's TL-B type as written, e.g. `uint64`, `^Cell`, `(Maybe ^Cell)`, `(HashmapE 256 Bool)`. */
    type: string;
}

export interface TlbConstructor {
    name: string;
    /** The 32-bit opcode for `name#hex`; undefined for `name$_`. */
    opcode?: number;
    fields: TlbField[];
    result: string;
}

/** Parses every constructor of a TL-B file (comments and the `bool_false$0` style bit tags are skipped). */
export function parseTlb(src: string): TlbConstructor[] {
    const text = src.replace(/\/\/[^\n]*/g, ' ');
    const out: TlbConstructor[] = [];
    for (const raw of text.split(';')) {
        const decl = raw.trim().replace(/\s+/g, ' ');
        if (!decl) continue;
        const eq = decl.lastIndexOf('=');
        if (eq < 0) throw new Error(`schema.tlb: no '=' in '${decl}'`);
        const result = decl.slice(eq + 1).trim();
        const [head, ...rest] = tokenize(decl.slice(0, eq));
        const m = head.match(/^([a-z_0-9]+)(?:#([0-9a-f]{8})|\$_|\$[01]+)$/);
        if (!m) throw new Error(`schema.tlb: cannot read constructor '${head}'`);
        const fields: TlbField[] = [];
        for (const tok of rest) {
            if (tok === '^[' || tok === ']') continue;
            const f = tok.match(/^([a-z_0-9]+):(.+)$/);
            if (!f) throw new Error(`schema.tlb: cannot read field '${tok}' of ${m[1]}`);
            fields.push({ name: f[1], type: f[2] });
        }
        out.push({ name: m[1], opcode: m[2] ? parseInt(m[2], 16) : undefined, fields, result });
    }
    return out;
}

/** Splits on spaces outside parentheses, so that `x:(Maybe ^Cell)` stays one token. */
function tokenize(s: string): string[] {
    const out: string[] = [];
    let depth = 0;
    let cur = '';
    for (const ch of s.replace(/\^\[/g, ' ^[ ').replace(/\]/g, ' ] ')) {
        if (ch === '(') depth++;
        if (ch === ')') depth--;
        if (ch === ' ' && depth === 0) {
            if (cur) out.push(cur);
            cur = '';
        } else cur += ch;
    }
    if (cur) out.push(cur);
    return out;
}

/** snake_case -> camelCase (`query_id` -> `queryId`). */
export function camel(snake: string): string {
    return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** snake_case -> PascalCase (`charge_signed` -> `ChargeSigned`). */
export function pascal(snake: string): string {
    const c = camel(snake);
    return c[0].toUpperCase() + c.slice(1);
}
