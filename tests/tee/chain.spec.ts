import { AttestationError, verifyChain } from '../../worker-runtime/src/tee';
import { issueCertificate, issueCrl } from './testPki';

const at = new Date('2025-09-01');

function chainError(fn: () => unknown): AttestationError {
    try {
        fn();
    } catch (err) {
        expect(err).toBeInstanceOf(AttestationError);
        return err as AttestationError;
    }
    throw new Error('expected a certificate error');
}

describe('certificate chains and CRLs (generated PKI)', () => {
    const root = issueCertificate({ subject: 'Test Root CA', ca: true, serial: 1 });
    const intermediate = issueCertificate({ subject: 'Test Platform CA', issuer: root, ca: true, serial: 2 });
    const leaf = issueCertificate({ subject: 'Test PCK', issuer: intermediate, ca: false, serial: 3 });
    const other = issueCertificate({ subject: 'Test PCK 2', issuer: intermediate, ca: false, serial: 4 });
    const roots = [root.cert];

    it('builds the chain in any order and ends at the pinned root', () => {
        const chain = verifyChain([intermediate.cert, leaf.cert], { roots, at });
        expect(chain.map((c) => c.subject)).toEqual(['CN=Test PCK', 'CN=Test Platform CA', 'CN=Test Root CA']);
    });

    it('refuses a revoked leaf and accepts it when the CRL revokes another certificate', () => {
        const revokesLeaf = issueCrl(intermediate, [leaf], new Date('2025-01-01'), new Date('2026-01-01'));
        const err = chainError(() => verifyChain([leaf.cert, intermediate.cert], { roots, at, crls: [revokesLeaf] }));
        expect(err.message).toMatch(/is revoked/);
        const revokesOther = issueCrl(intermediate, [other], new Date('2025-01-01'), new Date('2026-01-01'));
        expect(verifyChain([leaf.cert, intermediate.cert], { roots, at, crls: [revokesOther] })).toHaveLength(3);
    });

    it('refuses a revoked intermediate through the root CRL', () => {
        const rootCrl = issueCrl(root, [intermediate], new Date('2025-01-01'), new Date('2026-01-01'));
        expect(
            chainError(() => verifyChain([leaf.cert, intermediate.cert], { roots, at, crls: [rootCrl] })).message,
        ).toMatch(/Test Platform CA.*revoked/);
    });

    it('refuses a stale CRL and a CRL forged in the name of a CA of the chain', () => {
        const stale = issueCrl(intermediate, [], new Date('2024-01-01'), new Date('2025-01-01'));
        expect(
            chainError(() => verifyChain([leaf.cert, intermediate.cert], { roots, at, crls: [stale] })).message,
        ).toMatch(/not current/);
        const impostor = issueCertificate({ subject: 'Test Platform CA', ca: true, serial: 2 });
        const forged = issueCrl(impostor, [], new Date('2025-01-01'), new Date('2026-01-01'));
        expect(
            chainError(() => verifyChain([leaf.cert, intermediate.cert], { roots, at, crls: [forged] })).message,
        ).toMatch(/CRL naming "CN=Test Platform CA" is not signed by it/);
    });

    it('leaves out of scope the CRL of a CA outside the chain, and still applies the ones in scope', () => {
        const processorCa = issueCertificate({ subject: 'Test Processor CA', issuer: root, ca: true, serial: 7 });
        const processorCrl = issueCrl(processorCa, [leaf], new Date('2025-01-01'), new Date('2026-01-01'));
        const revokesLeaf = issueCrl(intermediate, [leaf], new Date('2025-01-01'), new Date('2026-01-01'));
        // The Processor CA's CRL lists serial 3 too, but it only speaks for certificates that CA issued.
        expect(
            verifyChain([leaf.cert, intermediate.cert], { roots, at, crls: [processorCrl] }).map((c) => c.subject),
        ).toEqual(['CN=Test PCK', 'CN=Test Platform CA', 'CN=Test Root CA']);
        expect(
            chainError(() =>
                verifyChain([leaf.cert, intermediate.cert], { roots, at, crls: [processorCrl, revokesLeaf] }),
            ).message,
        ).toMatch(/revoked/);
    });

    it('refuses an issuer that is not a CA, a leaf that is a CA, and an expired intermediate', () => {
        const notCa = issueCertificate({ subject: 'Not A CA', issuer: root, ca: false, serial: 5 });
        const underNotCa = issueCertificate({ subject: 'Leaf under non-CA', issuer: notCa, ca: false, serial: 6 });
        expect(chainError(() => verifyChain([underNotCa.cert, notCa.cert], { roots, at })).message).toMatch(
            /is not a CA/,
        );
        expect(chainError(() => verifyChain([intermediate.cert], { roots, at })).message).toMatch(
            /leaf certificate is a CA/,
        );
        const expired = issueCertificate({
            subject: 'Old CA',
            issuer: root,
            ca: true,
            serial: 7,
            notAfter: new Date('2024-01-01'),
        });
        const underExpired = issueCertificate({ subject: 'Leaf under old CA', issuer: expired, ca: false, serial: 8 });
        expect(chainError(() => verifyChain([underExpired.cert, expired.cert], { roots, at })).message).toMatch(
            /not valid at/,
        );
    });

    it('refuses a chain whose self-signed root is not pinned', () => {
        const otherRoot = issueCertificate({ subject: 'Test Root CA', ca: true, serial: 1 }); // same name, other key
        expect(
            chainError(() => verifyChain([leaf.cert, intermediate.cert, root.cert], { roots: [otherRoot.cert], at }))
                .message,
        ).toMatch(/does not chain to a pinned root/);
    });
});
