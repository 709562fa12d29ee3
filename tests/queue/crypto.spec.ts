import {
    deriveSubkey,
    generateSymmetricKey,
    generateX25519KeyPair,
    hkdfSha256,
    open,
    parseKey,
    seal,
    SEAL_OVERHEAD_BYTES,
    unwrapKey,
    wrapKey,
    x25519KeyPairFromPrivate,
} from '../../worker-runtime/src/crypto';
import { InvalidInputError, SealedPayloadError } from '../../worker-runtime/src/errors';

const aad = Buffer.from('request-1|model-x');

describe('seal / open (AES-256-GCM)', () => {
    it('round-trips and adds exactly version + nonce + tag', () => {
        const key = generateSymmetricKey();
        const plaintext = Buffer.from('the quick brown fox');
        const sealed = seal(key, plaintext, aad);
        expect(sealed.length).toBe(plaintext.length + SEAL_OVERHEAD_BYTES);
        expect(sealed.includes(plaintext)).toBe(false);
        expect(open(key, sealed, aad).equals(plaintext)).toBe(true);
    });

    it('uses a fresh nonce each time (same input, different ciphertexts)', () => {
        const key = generateSymmetricKey();
        expect(seal(key, Buffer.from('x'), aad).equals(seal(key, Buffer.from('x'), aad))).toBe(false);
        // Nonces come from the CSPRNG in blocks of 256: across several blocks, never one twice.
        const nonces = new Set(
            Array.from({ length: 1000 }, () => seal(key, Buffer.from('x'), aad).subarray(1, 13).toString('hex')),
        );
        expect(nonces.size).toBe(1000);
    });

    it('refuses a wrong key', () => {
        const sealed = seal(generateSymmetricKey(), Buffer.from('secret'), aad);
        expect(() => open(generateSymmetricKey(), sealed, aad)).toThrow(SealedPayloadError);
    });

    it('refuses a flipped bit at every position of the envelope', () => {
        const key = generateSymmetricKey();
        const sealed = seal(key, Buffer.from('secret payload'), aad);
        for (let i = 0; i < sealed.length; i++) {
            const tampered = Buffer.from(sealed);
            tampered[i] ^= 0x01;
            expect(() => open(key, tampered, aad)).toThrow(SealedPayloadError);
        }
    });

    it('refuses different associated data, truncation and garbage', () => {
        const key = generateSymmetricKey();
        const sealed = seal(key, Buffer.from('secret'), aad);
        expect(() => open(key, sealed, Buffer.from('request-2|model-x'))).toThrow(SealedPayloadError);
        expect(() => open(key, sealed)).toThrow(SealedPayloadError);
        expect(() => open(key, sealed.subarray(0, sealed.length - 1), aad)).toThrow(SealedPayloadError);
        expect(() => open(key, Buffer.alloc(5), aad)).toThrow(/too short/);
    });

    it('rejects keys of the wrong length with a clear error', () => {
        expect(() => seal(Buffer.alloc(16), Buffer.from('x'))).toThrow(InvalidInputError);
        expect(() => seal(Buffer.alloc(16), Buffer.from('x'))).toThrow(/must be 32 bytes, got 16 bytes/);
    });
});

describe('X25519 keys and HKDF', () => {
    it('rebuilds the public key from the private key', () => {
        const pair = generateX25519KeyPair();
        expect(pair.publicKey.length).toBe(32);
        expect(x25519KeyPairFromPrivate(pair.privateKey).publicKey.equals(pair.publicKey)).toBe(true);
    });

    it('matches the RFC 5869 test case 1 and separates sub-keys by purpose', () => {
        const okm = hkdfSha256(
            Buffer.from('0b'.repeat(22), 'hex'),
            Buffer.from('000102030405060708090a0b0c', 'hex'),
            Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'),
            42,
        );
        expect(okm.toString('hex')).toBe(
            '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
        );
        const master = generateSymmetricKey();
        expect(deriveSubkey(master, 'a').equals(deriveSubkey(master, 'b'))).toBe(false);
        expect(deriveSubkey(master, 'a').equals(deriveSubkey(master, 'a'))).toBe(true);
    });

    it('parses hex and base64 keys and refuses the wrong length', () => {
        const key = generateSymmetricKey();
        expect(parseKey(key.toString('hex'), 32, 'queue key').equals(key)).toBe(true);
        expect(parseKey(key.toString('base64'), 32, 'queue key').equals(key)).toBe(true);
        expect(() => parseKey('abcd', 32, 'queue key')).toThrow(/queue key must be 32 bytes/);
    });
});

describe('wrapKey / unwrapKey (ephemeral-static X25519 + HKDF + AES-GCM)', () => {
    const queueKey = generateSymmetricKey();
    const worker = generateX25519KeyPair();

    it('lets only the recipient unwrap, and only for the same context', () => {
        const wrapped = wrapKey(queueKey, worker.publicKey, 'model-aa');
        expect(unwrapKey(wrapped, worker.privateKey, 'model-aa').equals(queueKey)).toBe(true);
        expect(wrapped.includes(queueKey)).toBe(false);
        expect(() => unwrapKey(wrapped, generateX25519KeyPair().privateKey, 'model-aa')).toThrow(SealedPayloadError);
        expect(() => unwrapKey(wrapped, worker.privateKey, 'model-bb')).toThrow(SealedPayloadError);
    });

    it('uses a fresh ephemeral key per wrap and detects tampering', () => {
        const a = wrapKey(queueKey, worker.publicKey, 'ctx');
        const b = wrapKey(queueKey, worker.publicKey, 'ctx');
        expect(a.subarray(1, 33).equals(b.subarray(1, 33))).toBe(false);
        for (const i of [0, 1, 20, 33, 40, a.length - 1]) {
            const tampered = Buffer.from(a);
            tampered[i] ^= 0x80;
            expect(() => unwrapKey(tampered, worker.privateKey, 'ctx')).toThrow(SealedPayloadError);
        }
    });

    it('refuses a low-order (all-zero) recipient key', () => {
        expect(() => wrapKey(queueKey, Buffer.alloc(32), 'ctx')).toThrow(/key agreement/);
    });
});
