/**
 * What forged uploads cost the proxy (issue 15, item 10). The devnet's whole stack runs in this process (the proxy's
 * HTTP API on the main thread); abusive uploaders run in worker threads, like clients on other machines.
 *
 * 1. Refusal cost: a 2 MiB body with a bad signature (the devnet client's real account, a wrong key), posted again and
 *    again; the main thread's busy time per refusal (event-loop utilisation) against the time to SHA-256 the same
 *    2 MiB once. Target: at most 3×.
 * 2. Interference: honest signed requests in a closed loop (concurrency 4), alone, then with four abusive uploaders
 *    posting such bodies without pause, then alone again. Target: honest throughput drops by less than 20 %.
 *
 * Both figures are ratios measured in one run, since this machine's speed varies from day to day. Prints them and
 * writes bench/abuse.json.
 *
 *   npx tsx worker-runtime/bench/abuse.ts [--requests 600] [--refusals 60]
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ACCOUNT_HEADER, requestDigest, SIGNATURE_HEADER } from '../src/protocol/request';
import { Devnet } from '../src/devnet/orchestrator';
import { benchDevnet, runLevel, signedBodies } from './http';

export const TARGETS = { refusalOverSha256: 3, honestThroughputLoss: 0.2 };
const BODY_BYTES = 2 * 1024 * 1024;

/** A 2 MiB request body (numbers in JSON, as a client would write them) with a signature by a key nobody holds. */
function forgedUpload(devnet: Devnet): { body: Buffer; headers: Record<string, string> } {
    const account = devnet.network.client.account.address.toString();
    const head =
        `{"requestId":"${randomBytes(32).toString('hex')}","model":"${devnet.network.models[0].hashHex}",` +
        `"account":"${account}","validUntil":${Math.floor(Date.now() / 1000) + 300},` +
        '"inputs":{"features":{"type":"float32","dims":[1,16],"data":[';
    const tail = '0]}}}';
    const fill = BODY_BYTES - head.length - tail.length;
    const body = Buffer.from(head + '0.123456789,'.repeat(Math.floor(fill / 12)) + ' '.repeat(fill % 12) + tail);
    if (body.length !== BODY_BYTES) throw new Error(`forged body is ${body.length} bytes`);
    return {
        body,
        headers: {
            'content-type': 'application/json',
            [ACCOUNT_HEADER]: account,
            [SIGNATURE_HEADER]: randomBytes(64).toString('hex'),
        },
    };
}

/** Median ms of SHA-256 over `bytes`, on this thread. */
function sha256Ms(bytes: Buffer, runs = 50): number {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        createHash('sha256').update(bytes).digest();
        times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(runs / 2)];
}

/** Worker-thread uploaders: each posts the forged body in a loop until told to stop (or `count` times). */
function startUploaders(
    n: number,
    url: string,
    upload: { body: Buffer; headers: Record<string, string> },
    count = Infinity,
): { stop: () => Promise<number[]>; done: Promise<number[]> } {
    const code = `
        const { parentPort, workerData } = require('node:worker_threads');
        let stop = false; let sent = 0; const statuses = {};
        parentPort.on('message', () => { stop = true; });
        (async () => {
            while (!stop && sent < workerData.count) {
                const res = await fetch(workerData.url, { method: 'POST', headers: workerData.headers, body: workerData.body });
                await res.arrayBuffer();
                statuses[res.status] = (statuses[res.status] || 0) + 1;
                sent++;
            }
            parentPort.postMessage({ sent, statuses });
        })();
    `;
    const workers = Array.from(
        { length: n },
        () =>
            new Worker(code, {
                eval: true,
                workerData: { url: `${url}/v1/infer`, headers: upload.headers, body: upload.body, count },
            }),
    );
    const done = Promise.all(
        workers.map(
            (w) =>
                new Promise<number>((resolve, reject) => {
                    w.once('message', (m: { sent: number; statuses: Record<string, number> }) => {
                        const refused = Object.entries(m.statuses).filter(([s]) => s !== '401');
                        if (refused.length) reject(new Error(`uploads answered other than 401: ${JSON.stringify(m)}`));
                        void w.terminate();
                        resolve(m.sent);
                    });
                    w.once('error', reject);
                }),
        ),
    );
    return {
        done,
        stop: () => {
            for (const w of workers) w.postMessage('stop');
            return done;
        },
    };
}

export interface AbuseBenchResult {
    sha256Ms: number;
    refusalMainThreadMs: number;
    refusalOverSha256: number;
    honestAloneRps: number;
    honestUnderAbuseRps: number;
    honestThroughputLoss: number;
    abusiveUploads: number;
}

export async function benchAbuse(options: { requests?: number; refusals?: number } = {}): Promise<AbuseBenchResult> {
    const requests = options.requests ?? 600;
    const refusals = options.refusals ?? 60;
    const devnet = await benchDevnet();
    try {
        const upload = forgedUpload(devnet);
        // Warm up: connections, sessions, the account cache, the refusal path.
        await runLevel(devnet, 4, 50);
        await startUploaders(1, devnet.proxyUrl, upload, 5).done;
        const sha = sha256Ms(upload.body);
        requestDigest(upload.body);

        // 1. Main-thread time per refusal: event-loop busy time while one uploader posts `refusals` bodies.
        const elu0 = performance.eventLoopUtilization();
        await startUploaders(1, devnet.proxyUrl, upload, refusals).done;
        const elu = performance.eventLoopUtilization(elu0);
        const refusalMs = elu.active / refusals;

        // 2. Honest throughput alone, with four uploaders, alone again (the two alone runs averaged).
        const level = async () =>
            (await runLevel(devnet, 4, requests, await signedBodies(devnet, requests))).requestsPerSecond;
        const alone1 = await level();
        const abusers = startUploaders(4, devnet.proxyUrl, upload);
        await new Promise((resolve) => setTimeout(resolve, 300)); // the uploads are under way
        const underAbuse = await level();
        const uploads = (await abusers.stop()).reduce((a, b) => a + b, 0);
        const alone2 = await level();
        const alone = (alone1 + alone2) / 2;
        return {
            sha256Ms: sha,
            refusalMainThreadMs: refusalMs,
            refusalOverSha256: refusalMs / sha,
            honestAloneRps: alone,
            honestUnderAbuseRps: underAbuse,
            honestThroughputLoss: 1 - underAbuse / alone,
            abusiveUploads: uploads,
        };
    } finally {
        await devnet.stop();
    }
}

export function formatAbuse(r: AbuseBenchResult): string {
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    return [
        'forged uploads (2 MiB, bad signature) against the proxy:',
        `  SHA-256 of 2 MiB                      ${r.sha256Ms.toFixed(2)} ms`,
        `  main-thread time per refusal (401)    ${r.refusalMainThreadMs.toFixed(2)} ms  = ${r.refusalOverSha256.toFixed(
            2,
        )}× the hash (target ≤ ${TARGETS.refusalOverSha256}×)`,
        `  honest req/s alone                    ${r.honestAloneRps.toFixed(0)}`,
        `  honest req/s with 4 uploaders         ${r.honestUnderAbuseRps.toFixed(0)}  (${r.abusiveUploads} forged uploads refused meanwhile)`,
        `  honest throughput lost                ${pct(r.honestThroughputLoss)} (target < ${pct(TARGETS.honestThroughputLoss)})`,
    ].join('\n');
}

if (require.main === module) {
    const { values } = parseArgs({
        options: { requests: { type: 'string', default: '600' }, refusals: { type: 'string', default: '60' } },
    });
    benchAbuse({ requests: Number(values.requests), refusals: Number(values.refusals) })
        .then((r) => {
            console.log(formatAbuse(r));
            const file = join(__dirname, '..', '..', 'bench', 'abuse.json');
            const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version };
            writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, ...r }, null, 2) + '\n');
            console.log(`written: ${file}`);
            process.exit(0);
        })
        .catch((err) => {
            console.error(err);
            process.exit(1);
        });
}
