#!/usr/bin/env node
/**
 * `npm run build` (and `prepare`, which `npm ci` runs, also with --omit=dev): compiles the Tact contracts into build/
 * and the runtime, CLI and wrappers into dist/ (plain CommonJS, for installs without tsx). Quiet: only errors and one
 * line per step, on stderr (stdout stays free for the JSON of `npm run devnet -- --json`).
 *
 * Each step is skipped when its output is newer than its inputs: a SHA-256 over the input files (and the compiler
 * version) is kept beside the output, so an unchanged checkout never recompiles.
 *
 * usage: node tools/build.js [contracts | dist | all] [--force]     (default all)
 */
'use strict';
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BUILD = path.join(ROOT, 'build');
const DIST = path.join(ROOT, 'dist');
const CONTRACTS_STAMP = path.join(BUILD, '.sources.sha256');
const DIST_STAMP = path.join(DIST, '.sources.sha256');

const say = (line) => process.stderr.write(`build: ${line}\n`);

function filesUnder(dir, keep) {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) return filesUnder(p, keep);
            return keep(p) ? [p] : [];
        })
        .sort();
}

/** SHA-256 over the relative paths and contents of `files`, and `extra` (tool versions). */
function digest(files, extra) {
    const h = createHash('sha256').update(extra);
    for (const f of files) h.update(path.relative(ROOT, f)).update('\0').update(fs.readFileSync(f)).update('\0');
    return h.digest('hex');
}

const upToDate = (stamp, hash) => fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === hash;

function resolveTool(request, what) {
    try {
        return require.resolve(request, { paths: [ROOT] });
    } catch {
        say(`${what} is not installed (${request}); run npm ci`);
        process.exit(1);
    }
}

function run(args, what) {
    // The tools' stdout goes to stderr too: nothing of a build reaches stdout.
    const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 2, 2] });
    if (r.status !== 0) {
        say(`${what} failed (exit ${r.status ?? r.signal})`);
        process.exit(1);
    }
}

function contracts(force) {
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'tact.config.json'), 'utf8'));
    const tactPackage = resolveTool('@tact-lang/compiler/package.json', 'the Tact compiler');
    const version = JSON.parse(fs.readFileSync(tactPackage, 'utf8')).version;
    const inputs = [
        path.join(ROOT, 'tact.config.json'),
        ...filesUnder(path.join(ROOT, 'contracts'), (f) => f.endsWith('.tact')),
    ];
    const hash = digest(inputs, `tact ${version}`);
    const wrapper = (p) => path.join(ROOT, p.output, `${p.name}_${p.name}.ts`);
    if (!force && upToDate(CONTRACTS_STAMP, hash) && config.projects.every((p) => fs.existsSync(wrapper(p)))) {
        say('contracts up to date (build/)');
        return;
    }
    const t0 = Date.now();
    run([path.join(path.dirname(tactPackage), 'bin', 'tact.js'), '--config', 'tact.config.json', '--quiet'], 'tact');
    // blueprint's artifact per project (its code cell), as `blueprint build` writes it.
    const { Cell } = require(require.resolve('@ton/core', { paths: [ROOT] }));
    for (const p of config.projects) {
        const cell = Cell.fromBoc(fs.readFileSync(path.join(ROOT, p.output, `${p.name}_${p.name}.code.boc`)))[0];
        const compiled = {
            hash: cell.hash().toString('hex'),
            hashBase64: cell.hash().toString('base64'),
            hex: cell.toBoc().toString('hex'),
        };
        fs.writeFileSync(path.join(BUILD, `${p.name}.compiled.json`), JSON.stringify(compiled));
    }
    fs.writeFileSync(CONTRACTS_STAMP, `${hash}\n`);
    say(
        `compiled ${config.projects.length} contracts into build/ with Tact ${version} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
}

/** Files the compiled runtime reads beside its code. */
const ASSETS = [
    'worker-runtime/src/inference/threadBootstrap.js',
    'worker-runtime/src/inference/generative/engineThreadBootstrap.js',
    'worker-runtime/src/tee/intel-sgx-root-ca.pem',
];

function dist(force) {
    const tsPackage = resolveTool('typescript/package.json', 'TypeScript');
    const version = JSON.parse(fs.readFileSync(tsPackage, 'utf8')).version;
    const sources = [
        'tsconfig.json',
        'tsconfig.build.json',
        ...['worker-runtime/src', 'wrappers', 'build'].flatMap((d) =>
            filesUnder(path.join(ROOT, d), (f) => /\.(ts|js|pem)$/.test(f)),
        ),
    ].map((f) => path.resolve(ROOT, f));
    const hash = digest(sources, `typescript ${version}`);
    if (!force && upToDate(DIST_STAMP, hash)) {
        say('runtime up to date (dist/)');
        return;
    }
    const t0 = Date.now();
    fs.rmSync(DIST, { recursive: true, force: true });
    run([path.join(path.dirname(tsPackage), 'bin', 'tsc'), '-p', 'tsconfig.build.json'], 'tsc');
    for (const asset of ASSETS) fs.copyFileSync(path.join(ROOT, asset), path.join(DIST, asset));
    fs.writeFileSync(DIST_STAMP, `${hash}\n`);
    say(`compiled the runtime into dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const args = process.argv.slice(2);
const force = args.includes('--force');
const what = args.find((a) => !a.startsWith('--')) ?? 'all';
if (!['contracts', 'dist', 'all'].includes(what)) {
    say(`unknown step ${what}: expected contracts, dist or all`);
    process.exit(2);
}
if (what !== 'dist') contracts(force);
if (what !== 'contracts') dist(force);
