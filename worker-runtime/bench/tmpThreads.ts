import { readdirSync, readFileSync } from 'node:fs';
export function threadCpu(): Map<string, number> {
    const m = new Map<string, number>();
    for (const tid of readdirSync('/proc/self/task')) {
        try {
            const s = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
            const close = s.lastIndexOf(')');
            const comm = s.slice(s.indexOf('(') + 1, close);
            const f = s.slice(close + 2).split(' ');
            m.set(`${tid}:${comm}`, (Number(f[11]) + Number(f[12])) * 10);
        } catch {}
    }
    return m;
}
export function diff(a: Map<string, number>, b: Map<string, number>, tokens: number, label: string) {
    const rows = [...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, d]) => d > 0).sort((x, y) => y[1] - x[1]);
    console.log(label, 'tokens', tokens, rows.slice(0, 6).map(([k, d]) => `${k}=${d}ms (${(d / tokens).toFixed(3)}/tok)`).join('  '));
}
