/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: 'node',
    roots: ['<rootDir>/tests'],
    testMatch: ['**/*.spec.ts'],
    transform: {
        // Type checking is `npm run lint`'s job; transpiling alone keeps the suite fast.
        '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
    },
    testTimeout: 60000,
    maxWorkers: 2,
};
