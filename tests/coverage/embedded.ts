import { Cell } from '@ton/core';
import { collectAsmCoverage, CoverageData, Line } from '@ton/sandbox';
import { KnownContract } from './knownContracts';

/** One embedded child code left out of a parent's figures. */
export interface EmbeddedCode {
    contract: string;
    /** How many times the parent's assembly prints it (each initOf site may hold its own PUSHREF). */
    copies: number;
    /** Executable lines left out, all copies together. */
    instructions: number;
}

/** Opens a block whose body is a cell of its own (the child code of an initOf is pushed with PUSHREF). */
const REF_BLOCK = /^(\s*)PUSHREF \{$/;

/**
 * A parent contract that deploys children (initOf) carries their code cells, and the decompiled assembly prints them
 * inline; that code never runs as the parent, so counting it would report the child's instructions a second (or
 * third) time as the parent's misses. This replaces the body of every `PUSHREF { … }` whose cell is the code of
 * another contract of the build with one marker line, and returns what it left out. A block is left out only when
 * the child's code hash occurs among the parent's cells and the block's text is that child's decompiled code.
 */
export function withoutEmbeddedCode(
    data: CoverageData,
    known: Map<string, KnownContract>,
): { data: CoverageData; embedded: EmbeddedCode[] } {
    const own = data.code.hash().toString('hex');
    const inside = cellHashes(data.code);
    const children = [...known.values()].filter((c) => c.hash !== own && inside.has(c.hash));
    if (children.length === 0) return { data, embedded: [] };
    const childText = new Map(children.map((c) => [assemblyOf(c.code).join('\n'), c.name]));

    const lines: Line[] = [];
    const found = new Map<string, EmbeddedCode>();
    for (let i = 0; i < data.lines.length; i++) {
        lines.push(data.lines[i]);
        const open = data.lines[i].line.match(REF_BLOCK);
        if (!open) continue;
        const indent = open[1];
        const end = data.lines.findIndex((l, j) => j > i && l.line === `${indent}}`);
        if (end < 0) continue;
        const body = data.lines.slice(i + 1, end);
        const text = body.map((l) => l.line.slice(indent.length + 4)).join('\n');
        const name = childText.get(text);
        if (name === undefined) continue;
        const instructions = body.filter((l) => isExecutable(l.line)).length;
        const seen = found.get(name) ?? { contract: name, copies: 0, instructions: 0 };
        found.set(name, { ...seen, copies: seen.copies + 1, instructions: seen.instructions + instructions });
        // The sandbox counts every line as an instruction unless it holds '=>' (a dictionary key), is a brace or is
        // empty: the arrow keeps this marker out of the totals of its summary and HTML report too.
        lines.push({
            line: `${indent}    ;; ${name} code => left out (${instructions} instructions, see ${name}.html)`,
            info: { $: 'Skipped' },
        });
        i = end - 1;
    }
    const embedded = [...found.values()].sort((a, b) => a.contract.localeCompare(b.contract));
    return { data: { code: data.code, lines }, embedded };
}

export function formatEmbedded(embedded: EmbeddedCode[]): string {
    return embedded.map((e) => `${e.copies > 1 ? `${e.copies}× ` : ''}${e.contract} (${e.instructions})`).join(', ');
}

/** The same rule as the sandbox's summary (isExecutableLine in @ton/sandbox coverage/data). */
function isExecutable(line: string): boolean {
    const t = line.trim();
    return !t.includes('=>') && t !== '}' && t !== ']' && t.length > 0;
}

/** The decompiled code as the sandbox prints it, without its trailing empty line. */
function assemblyOf(code: Cell): string[] {
    const lines = collectAsmCoverage(code, '').lines.map((l) => l.line);
    while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
    return lines;
}

function cellHashes(root: Cell): Set<string> {
    const out = new Set<string>();
    const todo = [root];
    while (todo.length > 0) {
        const c = todo.pop()!;
        const h = c.hash().toString('hex');
        if (out.has(h)) continue;
        out.add(h);
        todo.push(...c.refs);
    }
    return out;
}
