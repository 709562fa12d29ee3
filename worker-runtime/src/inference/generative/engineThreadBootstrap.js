// Entry file of a generative engine thread. A worker thread starts as plain Node, without the TypeScript hooks of the
// process that spawned it (ts-jest, tsx), so it loads the compiled thread if one exists, else registers tsx's
// CommonJS hook and loads the TypeScript source.
const fs = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, 'engineThread.js');
if (fs.existsSync(compiled)) {
    require(compiled);
} else {
    require('tsx/cjs');
    require('./engineThread.ts');
}
