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
        return `[${Array.from(value as ArrayLike<unknown>, canonicalJson).join(',')}]`;
    }
    const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
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
