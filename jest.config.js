/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: 'node',
    roots: ['<rootDir>/tests'],
    testMatch: ['**/*.spec.ts'],
    transform: {
        // Type checking is `npm run lint`'s job; with tsconfig's isolatedModules ts-jest only transpiles, which keeps
        // the suite fast.
        '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    },
    testTimeout: 60000,
    maxWorkers: 2,
};
