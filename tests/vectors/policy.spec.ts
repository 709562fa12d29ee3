import { generateKeyPairSync } from 'node:crypto';
import {
    AttestationVerdict,
    Collateral,
    imageHashBigInt,
    parseQuote,
    RegistryView,
    verifyAttestation,
} from '../../worker-runtime/src/tee';
import { readCollateralFile, readVector, SAMPLE_ROOT_PEM, VERIFY_AT } from './testdata';

/** An in-memory registry view, as the chain watcher will provide from the on-chain allow-lists. */
function registry(options: { test: boolean; workers?: bigint[]; proxies?: bigint[] }): RegistryView {
    return {
        isTestNetwork: () => options.test,
        workerImageAllowed: (h) => (options.workers ?? []).includes(h),
        proxyImageAllowed: (h) => (options.proxies ?? []).includes(h),
    };
}

function ed25519PublicKey(): Buffer {
    const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    return Buffer.from(jwk.x as string, 'base64url');
}

function refusal(v: AttestationVerdict): { code: string; message: string } {
    if (v.valid) throw new Error('expected a refusal');
    return v.error;
}

describe('attestation policy on real TDX quotes', () => {
    it('checks a real TDX quote through every gate: image allow-list, TCB status, then key binding', async () => {
        const quote = readVector('tdx-v4-cocoon.dat');
        const cocoonImage = imageHashBigInt(parseQuote(quote).body);
        const publicKey = ed25519PublicKey(); // not the worker's key, which the test vectors do not include
        const base = { registry: registry({ test: false, workers: [cocoonImage] }), role: 'worker' as const };

        const notAllowed = await verifyAttestation(
            { quote, publicKey, at: VERIFY_AT },
            { ...base, registry: registry({ test: false }) },
        );
        expect(refusal(notAllowed).message).toMatch(/not in the registry's worker allow-list/);
        // No collateral: the TCB status is Unknown, which the default policy (UpToDate only) refuses.
        const unknown = await verifyAttestation({ quote, publicKey, at: VERIFY_AT }, base);
        expect(refusal(unknown).message).toMatch(/TCB status Unknown is not accepted \(accepted: UpToDate\)/);
        // Accepting Unknown explicitly gets as far as the binding, which fails for a key that is not the worker's.
        const binding = await verifyAttestation(
            { quote, publicKey, at: VERIFY_AT },
            { ...base, acceptedTcbStatuses: ['Unknown'] },
        );
        expect(refusal(binding).code).toBe('binding');
        // A forged quote stops at the signature.
        const forged = Buffer.from(quote);
        forged[200] ^= 1;
        expect(refusal(await verifyAttestation({ quote: forged, publicKey, at: VERIFY_AT }, base)).code).toBe(
            'signature',
        );
    });

    it('passes collateral from the configured source into the verdict and refuses what it cannot evaluate', async () => {
        const collateral: Collateral = {
            tcbInfoJson: readCollateralFile('tcbInfo.json').toString(),
            qeIdentityJson: readCollateralFile('qeIdentity.json').toString(),
            tcbSigningChainPem: readCollateralFile('tcbSignChain.pem').toString(),
        };
        const asked: string[] = [];
        const verdict = await verifyAttestation(
            { quote: readCollateralFile('quote.dat'), publicKey: ed25519PublicKey(), at: VERIFY_AT },
            {
                registry: registry({ test: false }),
                role: 'worker',
                roots: [SAMPLE_ROOT_PEM()],
                collateral: (fmspc) => {
                    asked.push(fmspc);
                    return collateral;
                },
            },
        );
        expect(asked).toEqual(['ed742af8adf5']);
        expect(refusal(verdict).code).toBe('collateral');
    });
});
