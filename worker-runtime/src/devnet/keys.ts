/** Deterministic keys for the devnet: the same seed gives the same network (addresses, keys) on every run. */
import { createHash } from 'node:crypto';
import { KeyPair, keyPairFromSeed, mnemonicToPrivateKey, mnemonicValidate, mnemonicWordList } from '@ton/crypto';

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

/**
 * A wallet's 24 words under the devnet seed (the demo client's: `--processes` hands them to the client CLI as
 * CHRYSALIS_CLIENT_MNEMONIC, which takes words, not a key seed). Deterministic: words drawn from a hash of the seed
 * and a counter, the first draw that is a valid TON mnemonic (as mnemonicNew draws, but from the seed).
 */
export function devnetMnemonic(seed: string, label: string): Promise<string[]> {
    return derivedOnce(`words\0${seed}\0${label}`, async () => {
        for (let attempt = 0; ; attempt++) {
            const words = Array.from({ length: 24 }, (_, i) => {
                const h = createHash('sha256')
                    .update(`chrysalis-devnet:${seed}:${label}:words:${attempt}:${i}`)
                    .digest();
                return mnemonicWordList[h.readUInt16BE(0) % mnemonicWordList.length];
            });
            if (await mnemonicValidate(words)) return words;
        }
    });
}

/**
 * The words and their key pair cost ≈ 0.1 s each to derive (PBKDF2 in the validity check and in the key) and several
 * parts of one devnet start ask for them (the deployment, the view, the client process's environment): once per
 * process. The derivation is a pure function of its inputs.
 */
const derived = new Map<string, Promise<unknown>>();
function derivedOnce<T>(key: string, derive: () => Promise<T>): Promise<T> {
    let value = derived.get(key) as Promise<T> | undefined;
    if (!value) derived.set(key, (value = derive()));
    return value;
}

/** The key pair of {@link devnetMnemonic}'s words (what a wallet app derives from them). */
export function devnetMnemonicKeyPair(seed: string, label: string): Promise<KeyPair> {
    return derivedOnce(`keys\0${seed}\0${label}`, async () => mnemonicToPrivateKey(await devnetMnemonic(seed, label)));
}
