/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: 'node',
    roots: ['<rootDir>/tests'],
    testMatch: ['**/*.spec.ts'],
    // The real TDX vectors are third-party data outside the repository: `npm run test:vectors` (jest.vectors.config.js).
    testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/vectors/'],
    transform: {
        // Type checking is `npm run lint`'s job; with tsconfig's isolatedModules ts-jest only transpiles, which keeps
        // the suite fast.
        '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    },
    testTimeout: 60000,
    maxWorkers: 2,
};
