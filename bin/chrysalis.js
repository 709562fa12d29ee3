#!/usr/bin/env node
// Where tsx is installed (a development checkout) the CLI runs from the TypeScript sources, so it is never stale;
// where it is not (`npm ci --omit=dev`), from dist/, which `npm run build` and `prepare` compile.
const fs = require('node:fs');
const path = require('node:path');

function hasTsx() {
    try {
        require.resolve('tsx/cjs');
        return true;
    } catch {
        return false;
    }
}

let main;
if (hasTsx()) {
    require('tsx/cjs');
    main = require('../worker-runtime/src/cli/main.ts').main;
} else {
    const compiled = path.join(__dirname, '..', 'dist', 'worker-runtime', 'src', 'cli', 'main.js');
    if (!fs.existsSync(compiled)) {
        process.stderr.write(`chrysalis: the compiled CLI is missing (${compiled}): run npm run build\n`);
        process.exit(1);
    }
    main = require(compiled).main;
}
main(process.argv.slice(2)).then((code) => process.exit(code));
