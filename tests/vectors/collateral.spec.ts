import {
    AttestationError,
    combineStatuses,
    evaluateTcb,
    parseQuote,
    QeIdentity,
    TcbInfo,
    verifyCollateral,
    verifyQuote,
    Collateral,
} from '../../worker-runtime/src/tee';
import { rawJsonValue } from '../../worker-runtime/src/tee/collateral';
import { readCollateralFile, SAMPLE_ROOT_PEM, VERIFY_AT } from './testdata';

const sampleCollateral = (): Collateral => ({
    tcbInfoJson: readCollateralFile('tcbInfo.json').toString('utf8'),
    qeIdentityJson: readCollateralFile('qeIdentity.json').toString('utf8'),
    tcbSigningChainPem: readCollateralFile('tcbSignChain.pem').toString('utf8'),
});

function collateralError(fn: () => unknown): AttestationError {
    try {
        fn();
    } catch (err) {
        expect(err).toBeInstanceOf(AttestationError);
        return err as AttestationError;
    }
    throw new Error('expected a collateral error');
}

const sampleQuote = () => verifyQuote(readCollateralFile('quote.dat'), { at: VERIFY_AT, roots: [SAMPLE_ROOT_PEM()] });

/**
 * The Intel sample collateral is signed correctly but does not describe its own sample quote (its TCB component
 * SVNs are sign-extended, 65473 for the PCK's 193, and its QE MRSIGNER differs from the quote's QE). To test the
 * status logic we derive, from the signed sample, TCB info and QE identity that do describe the quote.
 */
function matchingCollateral(): { tcbInfo: TcbInfo; qeIdentity: QeIdentity } {
    const { quote, pck } = sampleQuote();
    const { tcbInfo, qeIdentity } = verifyCollateral(sampleCollateral(), { roots: [SAMPLE_ROOT_PEM()], at: VERIFY_AT });
    const level = (status: string, sgx: number[], tdx: number[], pcesvn: number) => ({
        tcb: {
            sgxtcbcomponents: sgx.map((svn) => ({ svn })),
            tdxtcbcomponents: tdx.map((svn) => ({ svn })),
            pcesvn,
        },
        tcbDate: '2021-08-06T13:55:15Z',
        tcbStatus: status,
        advisoryIDs: [`INTEL-SA-${status}`],
    });
    const tdx = [...quote.body.teeTcbSvn];
    return {
        tcbInfo: {
            ...tcbInfo,
            tcbLevels: [
                level(
                    'UpToDate',
                    pck.sgxTcbComponents.map((s) => s + 1),
                    tdx,
                    pck.pceSvn,
                ), // newer platform than ours
                level('SWHardeningNeeded', pck.sgxTcbComponents, tdx, pck.pceSvn),
                level(
                    'OutOfDate',
                    pck.sgxTcbComponents.map(() => 0),
                    tdx.map(() => 0),
                    0,
                ),
            ],
        },
        qeIdentity: {
            ...qeIdentity,
            mrsigner: quote.qeReport.mrSigner.toString('hex'),
            tcbLevels: [
                { tcb: { isvsvn: quote.qeReport.isvSvn + 1 }, tcbDate: '2021', tcbStatus: 'UpToDate' },
                { tcb: { isvsvn: quote.qeReport.isvSvn }, tcbDate: '2021', tcbStatus: 'OutOfDate' },
            ],
        },
    };
}

describe('DCAP collateral', () => {
    it('verifies the signatures of the sample TCB info and QE identity under the signing chain', () => {
        const { tcbInfo, qeIdentity } = verifyCollateral(sampleCollateral(), {
            roots: [SAMPLE_ROOT_PEM()],
            at: VERIFY_AT,
        });
        expect(tcbInfo.id).toBe('TDX');
        expect(tcbInfo.fmspc).toBe('ed742af8adf5');
        expect(qeIdentity.id).toBe('TD_QE');
    });

    it('refuses collateral whose signed bytes or signature changed', () => {
        const roots = [SAMPLE_ROOT_PEM()];
        const c = sampleCollateral();
        const tampered = {
            ...c,
            tcbInfoJson: c.tcbInfoJson.replace('"tcbStatus":"UpToDate"', '"tcbStatus":"UpToDate" '),
        };
        expect(tampered.tcbInfoJson).not.toBe(c.tcbInfoJson);
        expect(collateralError(() => verifyCollateral(tampered, { roots, at: VERIFY_AT })).message).toMatch(/tcbInfo/);
        const sig = JSON.parse(c.qeIdentityJson).signature as string;
        const badSig = {
            ...c,
            qeIdentityJson: c.qeIdentityJson.replace(
                sig,
                sig.replace(/^./, (ch) => (ch === '0' ? '1' : '0')),
            ),
        };
        expect(collateralError(() => verifyCollateral(badSig, { roots, at: VERIFY_AT })).message).toMatch(
            /enclaveIdentity/,
        );
    });

    it('refuses collateral signed under an unpinned root or outside its validity', () => {
        expect(
            collateralError(() => verifyCollateral(sampleCollateral(), { roots: [], at: VERIFY_AT })).message,
        ).toMatch(/no pinned root/);
        // The production Intel root did not sign Intel's sample collateral.
        expect(
            collateralError(() =>
                verifyCollateral(sampleCollateral(), {
                    roots: [readCollateralFile('pckCert.pem').toString()],
                    at: VERIFY_AT,
                }),
            ).code,
        ).toBe('certificate');
        const late = collateralError(() =>
            verifyCollateral(sampleCollateral(), { roots: [SAMPLE_ROOT_PEM()], at: new Date('2020-01-01') }),
        );
        expect(late.message).toMatch(/not valid at 2020|not current/);
    });

    it('gives a clear collateral error where the sample collateral does not match the sample quote', () => {
        const { quote, pck } = sampleQuote();
        const { tcbInfo, qeIdentity } = verifyCollateral(sampleCollateral(), {
            roots: [SAMPLE_ROOT_PEM()],
            at: VERIFY_AT,
        });
        const err = collateralError(() => evaluateTcb(quote, pck, tcbInfo, qeIdentity));
        expect(err.code).toBe('collateral');
        expect(err.message).toMatch(/below every TCB level/);
    });

    it('computes the TCB status from the first level the platform meets', () => {
        const { quote, pck } = sampleQuote();
        const { tcbInfo, qeIdentity } = matchingCollateral();
        const result = evaluateTcb(quote, pck, tcbInfo, qeIdentity);
        expect(result.platformStatus).toBe('SWHardeningNeeded');
        expect(result.qeStatus).toBe('OutOfDate');
        expect(result.status).toBe('OutOfDate');
        expect(result.advisoryIds).toContain('INTEL-SA-SWHardeningNeeded');

        const upToDateQe = {
            ...qeIdentity,
            tcbLevels: [{ tcb: { isvsvn: 0 }, tcbDate: '2021', tcbStatus: 'UpToDate' }],
        };
        expect(evaluateTcb(quote, pck, tcbInfo, upToDateQe).status).toBe('SWHardeningNeeded');
        const onlyLatest = { ...tcbInfo, tcbLevels: [{ ...tcbInfo.tcbLevels[1], tcbStatus: 'UpToDate' }] };
        expect(evaluateTcb(quote, pck, onlyLatest, upToDateQe).status).toBe('UpToDate');
        const revoked = { ...tcbInfo, tcbLevels: [{ ...tcbInfo.tcbLevels[1], tcbStatus: 'Revoked' }] };
        expect(evaluateTcb(quote, pck, revoked, upToDateQe).status).toBe('Revoked');
    });

    it('checks the TDX components of TEE_TCB_SVN against the level', () => {
        const { quote, pck } = sampleQuote();
        const { tcbInfo, qeIdentity } = matchingCollateral();
        const raised = JSON.parse(JSON.stringify(tcbInfo)) as TcbInfo;
        // Require a higher TDX component than the quote has at level 1: the platform falls to OutOfDate.
        raised.tcbLevels[1].tcb.tdxtcbcomponents![5].svn = quote.body.teeTcbSvn[5] + 1;
        expect(evaluateTcb(quote, pck, raised, qeIdentity).platformStatus).toBe('OutOfDate');
    });

    it('refuses collateral for another FMSPC, another QE, or a mismatching TDX module', () => {
        const { quote, pck } = sampleQuote();
        const { tcbInfo, qeIdentity } = matchingCollateral();
        expect(
            collateralError(() => evaluateTcb(quote, pck, { ...tcbInfo, fmspc: '00906ea10000' }, qeIdentity)).message,
        ).toMatch(/FMSPC/);
        expect(
            collateralError(() => evaluateTcb(quote, pck, tcbInfo, { ...qeIdentity, isvprodid: 1 })).message,
        ).toMatch(/ISVPRODID/);
        expect(
            collateralError(() => evaluateTcb(quote, pck, tcbInfo, { ...qeIdentity, mrsigner: '00'.repeat(32) }))
                .message,
        ).toMatch(/MRSIGNER/);
        const module = {
            ...tcbInfo,
            tdxModule: { mrsigner: 'ff'.repeat(48), attributes: '00'.repeat(8), attributesMask: 'ff'.repeat(8) },
        };
        expect(collateralError(() => evaluateTcb(quote, pck, module, qeIdentity)).message).toMatch(/MRSIGNERSEAM/);
        expect(collateralError(() => evaluateTcb(quote, pck, { ...tcbInfo, id: 'SGX' }, qeIdentity)).message).toMatch(
            /expected TDX/,
        );
    });

    it('judges a TDX module with major version > 0 by its module identity', () => {
        const { quote: original, pck } = sampleQuote();
        const { tcbInfo, qeIdentity } = matchingCollateral();
        const body = { ...original.body, teeTcbSvn: Buffer.from(original.body.teeTcbSvn) };
        body.teeTcbSvn[0] = 4; // module SVN
        body.teeTcbSvn[1] = 1; // module major version → identity TDX_01
        const quote = { ...original, body };
        const identity = (svn: number) => ({
            id: 'TDX_01',
            mrsigner: '00'.repeat(48),
            attributes: '00'.repeat(8),
            attributesMask: 'ff'.repeat(8),
            tcbLevels: [
                { tcb: { isvsvn: svn }, tcbDate: '2024', tcbStatus: 'UpToDate' },
                { tcb: { isvsvn: 0 }, tcbDate: '2023', tcbStatus: 'OutOfDate' },
            ],
        });
        const upToDateQe = {
            ...qeIdentity,
            tcbLevels: [{ tcb: { isvsvn: 0 }, tcbDate: '2021', tcbStatus: 'UpToDate' }],
        };
        const levels = { ...tcbInfo, tcbLevels: [{ ...tcbInfo.tcbLevels[1], tcbStatus: 'UpToDate' }] };
        levels.tcbLevels[0].tcb.tdxtcbcomponents![0].svn = 200; // skipped: bytes 0-1 belong to the module identity
        expect(evaluateTcb(quote, pck, { ...levels, tdxModuleIdentities: [identity(4)] }, upToDateQe).status).toBe(
            'UpToDate',
        );
        const old = evaluateTcb(quote, pck, { ...levels, tdxModuleIdentities: [identity(5)] }, upToDateQe);
        expect(old.tdxModuleStatus).toBe('OutOfDate');
        expect(old.status).toBe('OutOfDate');
        expect(
            collateralError(() => evaluateTcb(quote, pck, { ...levels, tdxModuleIdentities: [] }, upToDateQe)).message,
        ).toMatch(/TDX_01/);
    });

    it('combines statuses conservatively', () => {
        expect(combineStatuses(['UpToDate', 'UpToDate'])).toBe('UpToDate');
        expect(combineStatuses(['UpToDate', 'SWHardeningNeeded'])).toBe('SWHardeningNeeded');
        expect(combineStatuses(['ConfigurationNeeded', 'SWHardeningNeeded'])).toBe('ConfigurationAndSWHardeningNeeded');
        expect(combineStatuses(['OutOfDate', 'ConfigurationNeeded'])).toBe('OutOfDateConfigurationNeeded');
        expect(combineStatuses(['OutOfDate', 'SWHardeningNeeded'])).toBe('OutOfDate');
        expect(combineStatuses(['Revoked', 'UpToDate'])).toBe('Revoked');
    });

    it('extracts the signed JSON bytes exactly, braces inside strings included', () => {
        const json = '{"tcbInfo":{"a":"}{","b":{"c":1}},"signature":"00"}';
        expect(rawJsonValue(json, 'tcbInfo')).toBe('{"a":"}{","b":{"c":1}}');
        expect(() => rawJsonValue('{"tcbInfo":{"a":1', 'tcbInfo')).toThrow(/truncated/);
        expect(() => rawJsonValue('{}', 'tcbInfo')).toThrow(/no "tcbInfo"/);
    });

    it('evaluates collateral inside verifyQuote when it is given', () => {
        const err = collateralError(() =>
            verifyQuote(readCollateralFile('quote.dat'), {
                at: VERIFY_AT,
                roots: [SAMPLE_ROOT_PEM()],
                collateral: sampleCollateral(),
            }),
        );
        expect(err.code).toBe('collateral');
        expect(parseQuote(readCollateralFile('quote.dat')).header.version).toBe(4);
    });
});
