/**
 * The runtime's one Ed25519 implementation (node:crypto) against tweetnacl (@ton/crypto): the contracts check these
 * signatures, so they must be the very bytes tweetnacl makes, and both must accept and refuse the same ones.
 */
import fc from 'fast-check';
import { keyPairFromSeed, sign, signVerify } from '@ton/crypto';
import { ed25519Sign, ed25519Signer, ed25519Verify } from '../../worker-runtime/src/crypto';

describe('Ed25519 through node:crypto', () => {
    test('signs byte-identically to tweetnacl and verifies the same signatures', () => {
        fc.assert(
            fc.property(
                fc.uint8Array({ minLength: 32, maxLength: 32 }),
                fc.uint8Array({ maxLength: 200 }),
                fc.nat({ max: 63 }),
                (seed, m, at) => {
                    const kp = keyPairFromSeed(Buffer.from(seed));
                    const message = Buffer.from(m);
                    const theirs = sign(message, kp.secretKey);
                    expect(ed25519Signer(kp.secretKey)(message).equals(theirs)).toBe(true);
                    expect(ed25519Sign(message, kp.secretKey).equals(theirs)).toBe(true);
                    expect(ed25519Verify(message, theirs, kp.publicKey)).toBe(true);
                    const flipped = Buffer.from(theirs);
                    flipped[at] ^= 1;
                    expect(ed25519Verify(message, flipped, kp.publicKey)).toBe(
                        signVerify(message, flipped, kp.publicKey),
                    );
                },
            ),
            { numRuns: 20 },
        );
    });

    test('answers false, never throws, on malformed input', () => {
        const kp = keyPairFromSeed(Buffer.alloc(32, 7));
        const message = Buffer.from('m');
        const good = ed25519Sign(message, kp.secretKey);
        expect(ed25519Verify(message, Buffer.alloc(3), kp.publicKey)).toBe(false);
        expect(ed25519Verify(message, good, Buffer.alloc(31))).toBe(false);
        expect(ed25519Verify(message, good, Buffer.alloc(32, 0xff))).toBe(false); // not a curve point
        expect(ed25519Verify(message, good, keyPairFromSeed(Buffer.alloc(32, 8)).publicKey)).toBe(false);
        expect(() => ed25519Sign(message, Buffer.alloc(32))).toThrow(RangeError);
    });
});
