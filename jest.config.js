/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: 'node',
    roots: ['<rootDir>/tests'],
    testMatch: ['**/*.spec.ts'],
    // The real TDX vectors are third-party data outside the repository: `npm run test:vectors` (jest.vectors.config.js).
    // The 1,000-worker and 1,000-account scaling runs (*.long.spec.ts) take about a minute on 2 cores: `npm run test:long`
    // (CHRYSALIS_LONG=1), which CI runs, keeps `npm test` short. So does `npm run test:processes` (CHRYSALIS_PROCESSES=1).
    testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/tests/vectors/',
        ...(process.env.CHRYSALIS_LONG === '1' ? [] : ['\\.long\\.spec\\.ts$']),
        // The devnet as OS processes (a dozen Node processes per run, minutes on 2 cores): `npm run test:processes`.
        ...(process.env.CHRYSALIS_PROCESSES === '1' ? [] : ['<rootDir>/tests/processes/']),
    ],
    transform: {
        // Type checking is `npm run lint`'s job; with tsconfig's isolatedModules ts-jest only transpiles, which keeps
        // the suite fast.
        '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    },
    testTimeout: 60000,
    maxWorkers: 2,
};
