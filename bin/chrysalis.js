#!/usr/bin/env node
// The CLI is TypeScript; tsx's CommonJS hook runs it without a separate compile step.
require('tsx/cjs');
require('../worker-runtime/src/cli/main.ts')
    .main(process.argv.slice(2))
    .then((code) => process.exit(code));
