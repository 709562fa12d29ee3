// `npm run test:vectors`: the tests on real TDX quotes and Intel's sample collateral. That data is third-party and
// not in the repository; CHRYSALIS_TEST_VECTORS names its folder (default ../shared/testdata, relative to the
// repository root). `npm test` leaves these tests out; the synthetic quotes and generated PKI of tests/tee cover the
// verifier's logic there.
const fs = require('node:fs');
const path = require('node:path');
const base = require('./jest.config');

const vectorsDir = path.resolve(__dirname, process.env.CHRYSALIS_TEST_VECTORS || '../shared/testdata');

/** @type {import('jest').Config} */
module.exports = {
    ...base,
    roots: ['<rootDir>/tests/vectors'],
    testPathIgnorePatterns: ['/node_modules/'],
};
// Not enumerable, so jest does not take it for an option.
Object.defineProperty(module.exports, 'vectorsDir', { value: vectorsDir, enumerable: false });

// Jest loads this file once before any test; the specs load it again for vectorsDir (the check passed then).
if (!fs.existsSync(path.join(vectorsDir, 'tdx', 'collateral'))) {
    console.error(
        `test:vectors: no TDX test vectors in ${vectorsDir} (expected ${path.join(vectorsDir, 'tdx')} with its ` +
            'collateral/ folder). Set CHRYSALIS_TEST_VECTORS to the folder holding tdx/.',
    );
    process.exit(1);
}
