/**
 * The allow-list a model must be on before it is loaded. The chain watcher's registry view implements this; tests
 * and the CLI use {@link staticModelRegistry}.
 */
export interface ModelRegistry {
    /** True when the registry lists this model hash (SHA-256 of the model file, as an unsigned 256-bit integer). */
    isModelAllowed(hash: bigint): boolean;
}

/** SHA-256 hex (64 characters, either case) → the bigint the contracts store. */
export function modelHashToBigInt(hex: string): bigint {
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError(`model hash must be 64 hex characters, got "${hex}"`);
    return BigInt('0x' + hex);
}

/** The bigint form back to 64 lowercase hex characters. */
export function modelHashToHex(hash: bigint): string {
    return hash.toString(16).padStart(64, '0');
}

/** A fixed allow-list, from hex strings or bigints. */
export function staticModelRegistry(hashes: Iterable<string | bigint>): ModelRegistry {
    const allowed = new Set<bigint>();
    for (const h of hashes) allowed.add(typeof h === 'bigint' ? h : modelHashToBigInt(h));
    return { isModelAllowed: (hash) => allowed.has(hash) };
}
