/**
 * A get method's result stack as toncenter (tonlib) writes it, back into TupleItems. `@ton/ton`'s TonClient (16.3)
 * parses the top level only: inside a tuple it hands over bare bigints and Cells, which the generated wrappers
 * cannot read ("Not a cell"), so every getter that returns an optional struct (`Registry.getModel`,
 * `Registry.getProxy`) fails through it. tonlib writes a null as the empty list and any pair chain ending in null
 * as a list of its heads; this rebuilds those pairs, so the result is the stack the contract returned.
 */
import { Cell, TupleItem } from '@ton/core';

type Json = Record<string, unknown>;

function cell(bytes: unknown): Cell {
    if (typeof bytes !== 'string') throw new Error('toncenter stack: a cell without bytes');
    return Cell.fromBoc(Buffer.from(bytes, 'base64'))[0];
}

function number(text: unknown): bigint {
    const s = String(text);
    return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
}

/** tonlib's list [a, b, c] is the pairs (a, (b, (c, null))). */
function pairs(elements: TupleItem[]): TupleItem {
    let out: TupleItem = { type: 'null' };
    for (let i = elements.length - 1; i >= 0; i--) out = { type: 'tuple', items: [elements[i], out] };
    return out;
}

function elementsOf(x: unknown): unknown[] {
    const elements = (x as Json | undefined)?.elements;
    if (!Array.isArray(elements)) throw new Error('toncenter stack: a tuple or list without elements');
    return elements;
}

/** One typed entry inside a tuple or list (`tvm.stackEntryNumber`, `tvm.stackEntryCell`, ...). */
function entry(x: unknown): TupleItem {
    const e = x as Json;
    switch (e['@type']) {
        case 'tvm.stackEntryNumber':
            return { type: 'int', value: number((e.number as Json).number) };
        case 'tvm.stackEntryCell':
            return { type: 'cell', cell: cell((e.cell as Json).bytes) };
        case 'tvm.stackEntrySlice':
            return { type: 'slice', cell: cell((e.slice as Json).bytes) };
        case 'tvm.stackEntryTuple':
            return { type: 'tuple', items: elementsOf(e.tuple).map(entry) };
        case 'tvm.stackEntryList':
            return pairs(elementsOf(e.list).map(entry));
        default:
            throw new Error(`toncenter stack: unsupported entry ${String(e['@type'])}`);
    }
}

/** The top-level stack: `[["num", "0x1f"], ["cell", {bytes}], ["tuple", {elements}], ["list", {elements}], ...]`. */
export function parseToncenterStack(stack: unknown[]): TupleItem[] {
    return stack.map((raw) => {
        if (!Array.isArray(raw)) throw new Error('toncenter stack: an entry that is not a [type, value] pair');
        const [type, value] = raw as [string, unknown];
        switch (type) {
            case 'num':
                return { type: 'int', value: number(value) };
            case 'null':
                return { type: 'null' };
            case 'cell':
                return { type: 'cell', cell: cell((value as Json).bytes) };
            case 'slice':
                return { type: 'slice', cell: cell((value as Json).bytes) };
            case 'builder':
                return { type: 'builder', cell: cell((value as Json).bytes) };
            case 'tuple':
                return { type: 'tuple', items: elementsOf(value).map(entry) };
            case 'list':
                return pairs(elementsOf(value).map(entry));
            default:
                throw new Error(`toncenter stack: unsupported entry type ${type}`);
        }
    });
}
