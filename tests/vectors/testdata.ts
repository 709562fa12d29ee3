/**
 * Paths and expected values of the real TDX quotes and Intel's sample collateral. They are third-party data kept
 * outside the repository: `CHRYSALIS_TEST_VECTORS` names the folder (default `../shared/testdata` relative to the
 * repository root), which jest.vectors.config.js checks before any test runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const { vectorsDir } = require('../../jest.vectors.config.js') as { vectorsDir: string };

export const TDX_DIR = path.join(vectorsDir, 'tdx');
export const COLLATERAL_DIR = path.join(TDX_DIR, 'collateral');
/** The quotes' certificates are valid then; the README names this date. */
export const VERIFY_AT = new Date('2025-09-01T00:00:00Z');

export interface Vector {
    file: string;
    version: number;
    mrTd: string;
    reportData: string;
    fmspc?: string;
    pcesvn?: number;
}

export const VECTORS: Vector[] = [
    {
        file: 'tdx-v4-edgeless.dat',
        version: 4,
        mrTd: 'b65ea009e424e6f761fdd3d7c8962439453b37ecdf62da04f7bc5d327686bb8bafc8a5d24a9c31cee60e4aba87c2f71b',
        reportData: Buffer.from('Hello from Edgeless Systems!').toString('hex') + '00'.repeat(36),
        fmspc: '00806f050000',
        pcesvn: 11,
    },
    {
        file: 'tdx-v4-phala.dat',
        version: 4,
        mrTd: '91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7',
        reportData:
            '9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20',
        fmspc: 'b0c06f000000',
        pcesvn: 11,
    },
    {
        file: 'tdx-v5-trustee.dat',
        version: 5,
        mrTd: 'dfba221b48a22af8511542ee796603f37382800840dcd978703909bf8e64d4c8a1e9de86e7c9638bfcba422f3886400a',
        reportData:
            '6d6ab13b046cff606ac0074be13981b07b6325dba10b5facc96febf551c0c3be2b75f92fe1f88f4bb996969ad0174b4b7a70261b7b85c844f4b33a4674fd049f',
        fmspc: '90c06f000000',
        pcesvn: 13,
    },
    {
        file: 'tdx-v4-cocoon.dat',
        version: 4,
        mrTd: '7357a10d2e2724dffe68813e3cc4cfcde6814d749f2fb62e3953e54f6e0b50a219786afe2cd478f684b52c61837e1114',
        reportData:
            'd21efaa8d7de2b0f5601df8b24cfbca690c5231e677d0fe35954c8be00614bd27f467a5624a6667aa74506cb14c271a48894c3ef11d2d26b269a2926fc74f87b',
    },
];

export function readVector(file: string): Buffer {
    return fs.readFileSync(path.join(TDX_DIR, file));
}

export function readCollateralFile(name: string): Buffer {
    return fs.readFileSync(path.join(COLLATERAL_DIR, name));
}

/** The Intel sample collateral is signed by a test root, not the production Intel root. */
export const SAMPLE_ROOT_PEM = () => readCollateralFile('trustedRootCaCert.pem').toString('utf8');
