// `npm run coverage`: the normal suite plus TypeScript coverage (coverage/ts) and, with CHRYSALIS_COVERAGE=1,
// TVM contract coverage (coverage/contracts/raw, merged by tests/coverage/report.ts).
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
    ...base,
    // Sources must be under a root for files no test loads to be reported (at 0%) too.
    roots: [...base.roots, '<rootDir>/worker-runtime/src', '<rootDir>/wrappers'],
    globalSetup: '<rootDir>/tests/coverage/globalSetup.ts',
    setupFilesAfterEnv: [...(base.setupFilesAfterEnv ?? []), '<rootDir>/tests/coverage/setup.ts'],
    collectCoverage: true,
    collectCoverageFrom: ['worker-runtime/src/**/*.ts', 'wrappers/**/*.ts', '!**/*.d.ts'],
    coverageDirectory: '<rootDir>/coverage/ts',
    coverageReporters: ['text-summary', 'lcov', 'html'],
};
