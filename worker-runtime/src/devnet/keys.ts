/** Deterministic keys for the devnet: the same seed gives the same network (addresses, keys) on every run. */
import { createHash } from 'node:crypto';
import { KeyPair, keyPairFromSeed } from '@ton/crypto';

/** The 32-byte Ed25519 seed of a role's key (e.g. `proxy`, `worker:0:tiny-mlp`) under the devnet seed. */
export function devnetKeySeed(seed: string, label: string): Buffer {
    return createHash('sha256').update(`chrysalis-devnet:${seed}:${label}`).digest();
}

/** The Ed25519 key pair of {@link devnetKeySeed}. */
export function devnetKeyPair(seed: string, label: string): KeyPair {
    return keyPairFromSeed(devnetKeySeed(seed, label));
}

/** A 32-byte public key as the uint256 the contracts store. */
export function publicKeyToUint(publicKey: Buffer): bigint {
    return BigInt('0x' + publicKey.toString('hex'));
}
