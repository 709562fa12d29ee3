import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted, no whitespace, bigints as decimal strings. The client, the proxy and the
 * worker each hash the tensors they see, so they must agree byte for byte on one serialisation.
 */
export function canonicalJson(value: unknown): string {
    if (value === null || typeof value !== 'object') {
        if (typeof value === 'bigint') return JSON.stringify(value.toString());
        if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
        if (value === undefined) return 'null';
        return JSON.stringify(value);
    }
    if (Array.isArray(value) || ArrayBuffer.isView(value)) {
        // Tensors are long runs of finite numbers, for which join()'s ToString is exactly JSON.stringify: skip the
        // per-element call (the hot path: every request's inputs and outputs are hashed by three parties).
        if (isFiniteNumbers(value as ArrayLike<unknown>)) return `[${Array.prototype.join.call(value, ',')}]`;
        return `[${Array.from(value as ArrayLike<unknown>, canonicalJson).join(',')}]`;
    }
    const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function isFiniteNumbers(values: ArrayLike<unknown>): boolean {
    for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) return false;
    }
    return true;
}

/** SHA-256 of the canonical JSON of `value`, as a uint256 (the form receipts and contracts use). */
export function hashJson(value: unknown): bigint {
    return BigInt('0x' + createHash('sha256').update(canonicalJson(value)).digest('hex'));
}

/** SHA-256 of a domain tag, a zero byte and the canonical JSON of `body`: what every off-chain signature covers. */
export function domainDigest(domain: string, body: unknown): Buffer {
    return createHash('sha256')
        .update(domain)
        .update(Buffer.from([0]))
        .update(canonicalJson(body))
        .digest();
}
