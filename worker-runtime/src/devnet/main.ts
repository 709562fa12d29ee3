/**
 * `npm run devnet [-- --requests N --workers N --concurrency N --keep-running --port P --json]`: the whole network
 * on this machine — sandbox chain, Redis, proxy, workers (simulated TEE), demo client — with a stream of paid
 * requests, on-chain settlement and a balance table that adds up. Exit code 0 only when every request succeeded and
 * the balances reconcile.
 */
import { parseArgs } from 'node:util';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { saveRegistrySnapshot } from '../client/registrySnapshot';
import { DEVNET_GENERATIVE_NAMES } from './models';
import { startDevnet } from './orchestrator';
import { RedisUnavailableError } from './redis';
import { runAndReport } from './run';
import { runProcessDevnet } from './processes/cli';
import { createGateway } from '../gateway';
import { toNano } from '@ton/core';
import { startTonApi, TonApi } from './tonApi';
import { gatewaySnippets } from './snippets';

export { gatewaySnippets };

/** With --keep-running: a client funded for thousands of requests through the gateway. */
const KEEP_RUNNING_FUNDS = {
    clientFunding: toNano('10000'),
    clientDeposit: toNano('5000'),
};

/**
 * Where `--keep-running` saves the registry snapshot that send.ts checks receipts against. Named after the run's Redis
 * prefix (random per run), not the seed: two same-seed devnets on one machine would otherwise write, read and leave
 * behind one shared file. Removed when the devnet stops.
 */
export function registrySnapshotFile(runPrefix: string): string {
    return path.join(tmpdir(), `${runPrefix.replace(/:/g, '-')}-registry.json`);
}

/** What the devnet and `chrysalis devnet chain` print for the chain's TON API. */
export function tonApiLine(url: string): string {
    return (
        `ton api ${url}\n` +
        `  faucet: chrysalis devnet fund <address> <TON> --api ${url}; roles and client: CHRYSALIS_NETWORK=devnet ` +
        `CHRYSALIS_TON_ENDPOINT=${url}`
    );
}

export const USAGE = `usage: npm run devnet -- [--requests N] [--workers N] [--concurrency N] [--keep-running] [--port P] [--api-port P] [--json]
  --requests N      requests the demo client sends, round-robin over the models (default 200)
  --workers N       worker operators; each runs one worker per model (default 2)
  --concurrency N   requests in flight at once (default 8)
  --keep-running    after the run, keep serving until Ctrl-C: the proxy API (port 8080 unless --port) and an
                    OpenAI-compatible gateway with a well-funded client account (port 10000 unless
                    --gateway-port)
  --port P          port of the proxy API (default: any free port; 8080 with --keep-running)
  --gateway-port P  port of the gateway with --keep-running (default 10000; 0 = any free port)
  --api-port P      also serve the devnet's chain through toncenter's v2 API on this port (0 = any free port) and
                    print "ton api <URL>"; with --keep-running, TonClient, blueprint (--custom <URL>) and
                    CHRYSALIS_NETWORK=devnet commands reach the chain there, with a faucet (chrysalis devnet fund)
  --time-scale S    with --api-port: chain seconds per wall-clock second (default 1)
  --seed S          derives every key and address (default devnet)
  --json            print one JSON object (progress goes to stderr)
  --no-generative   serve only the tensor models (by default the tiny chat, embedding and Whisper folders are
                    served too, each by its own workers, with one streamed chat, embedding batch and transcription)
  --processes       every part as an OS process of its own, through its real command: the chain behind its TON API,
                    a private redis-server, \`chrysalis proxy start\`, one \`chrysalis worker start\` per worker and
                    model (CHRYSALIS_NETWORK=devnet), and \`chrysalis client serve\` (the gateway, with an account of
                    its own opened by \`chrysalis client open\`) that the generative requests go through with the
                    openai package; with --keep-running, the gateway stays up (--gateway-port) and it prints how to
                    join the devnet by hand`;

export interface DevnetCliOptions {
    requests: number;
    workers: number;
    concurrency: number;
    keepRunning: boolean;
    port: number;
    gatewayPort: number;
    /** Port of the chain's TON API (0 = any free port), or null for none. */
    apiPort: number | null;
    timeScale: number;
    seed: string;
    json: boolean;
    /** Also serve the generative model folders (chat, embedder, Whisper) and run one request of each. */
    generative: boolean;
    /** Run the chain, Redis, the proxy and every worker as processes of their own (processes/). */
    processes: boolean;
}

export function parseDevnetArgs(argv: string[]): DevnetCliOptions {
    const { values } = parseArgs({
        args: argv,
        options: {
            requests: { type: 'string' },
            workers: { type: 'string' },
            concurrency: { type: 'string' },
            'keep-running': { type: 'boolean', default: false },
            port: { type: 'string' },
            'gateway-port': { type: 'string' },
            'api-port': { type: 'string' },
            'time-scale': { type: 'string' },
            seed: { type: 'string', default: 'devnet' },
            json: { type: 'boolean', default: false },
            'no-generative': { type: 'boolean', default: false },
            processes: { type: 'boolean', default: false },
            help: { type: 'boolean', default: false },
        },
        strict: true,
        allowPositionals: false,
    });
    if (values.help) throw new UsageHelp();
    const int = (name: string, text: string | undefined, fallback: number, min: number, max: number) => {
        if (text === undefined) return fallback;
        const n = Number(text);
        if (!Number.isInteger(n) || n < min || n > max) {
            throw new TypeError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
        }
        return n;
    };
    const keepRunning = values['keep-running'] ?? false;
    return {
        requests: int('requests', values.requests, 200, 1, 1_000_000),
        workers: int('workers', values.workers, 2, 1, 16),
        concurrency: int('concurrency', values.concurrency, 8, 1, 1024),
        keepRunning,
        port: int('port', values.port, keepRunning ? 8080 : 0, 0, 65535),
        gatewayPort: int('gateway-port', values['gateway-port'], 10000, 0, 65535),
        apiPort: values['api-port'] === undefined ? null : int('api-port', values['api-port'], 0, 0, 65535),
        timeScale: timeScale(values['time-scale'], values['api-port'] !== undefined),
        seed: values.seed ?? 'devnet',
        json: values.json ?? false,
        generative: !(values['no-generative'] ?? false),
        processes: values.processes ?? false,
    };
}

class UsageHelp extends Error {}

function timeScale(text: string | undefined, api: boolean): number {
    if (text === undefined) return 1;
    if (!api) throw new TypeError('--time-scale needs --api-port (it sets the clock of the chain the API serves)');
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0 || n > 1_000_000) {
        throw new TypeError(`--time-scale must be a number above 0 (at most 1000000), got '${text}'`);
    }
    return n;
}

export async function main(argv: string[]): Promise<number> {
    let options: DevnetCliOptions;
    try {
        options = parseDevnetArgs(argv);
    } catch (err) {
        if (err instanceof UsageHelp) {
            console.log(USAGE);
            return 0;
        }
        console.error(`${(err as Error).message}\n${USAGE}`);
        return 2;
    }
    // With --json, stdout carries only the JSON object.
    const say = options.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
    if (options.processes) return runProcessDevnet(options, say);
    let devnet;
    const t0 = Date.now();
    try {
        devnet = await startDevnet({
            workers: options.workers,
            seed: options.seed,
            port: options.port,
            onStep: say,
            generative: options.generative ? DEVNET_GENERATIVE_NAMES : [],
            // Kept running, the client is funded for a long session through the gateway.
            ...(options.keepRunning ? KEEP_RUNNING_FUNDS : {}),
        });
    } catch (err) {
        if (err instanceof RedisUnavailableError) {
            console.error(err.message);
            return 1;
        }
        throw err;
    }
    let ok = false;
    let tonApi: TonApi | null = null;
    try {
        if (options.apiPort !== null) {
            tonApi = await startTonApi({
                blockchain: devnet.network.chain.blockchain,
                port: options.apiPort,
                timeScale: options.timeScale,
            });
            say(tonApiLine(tonApi.url));
        }
        ok = await runAndReport(devnet, options, say, Date.now() - t0);
        if (options.keepRunning) {
            const account = devnet.network.client.account.address.toString();
            const snapshotFile = registrySnapshotFile(devnet.prefix);
            const workerKeys = devnet.network.workers.flatMap((w) =>
                w.keys.map((k) => k.keyPair.publicKey.toString('hex')),
            );
            const saved = await saveRegistrySnapshot(devnet.network.chain, devnet.network.registry.address, workerKeys);
            writeFileSync(snapshotFile, JSON.stringify(saved, null, 2));
            try {
                // The demo client's SDK commits its charge vouchers at half the stake, so the gateway never stops at 402.
                const gateway = await createGateway({ clients: [devnet.client], port: options.gatewayPort });
                say(
                    `\nserving the proxy API at ${devnet.proxyUrl} (models: GET ${devnet.proxyUrl}/v1/models; RA-TLS with the ` +
                        `simulated attestation: send.ts and the SDK check the certificate, curl needs -k); Ctrl-C stops.\n` +
                        `send a request as the demo client:\n  npx tsx worker-runtime/src/devnet/send.ts --url ${devnet.proxyUrl} ` +
                        `--account ${account} --snapshot ${snapshotFile} --model silero-vad` +
                        (options.seed === 'devnet' ? '' : ` --seed ${options.seed}`) +
                        `\n\n${gatewaySnippets(gateway.url)}`,
                );
                await new Promise<void>((resolve) => {
                    process.once('SIGINT', resolve);
                    process.once('SIGTERM', resolve);
                });
                await gateway.close();
            } finally {
                rmSync(snapshotFile, { force: true });
            }
        }
    } finally {
        await tonApi?.close();
        await devnet.stop();
    }
    return ok ? 0 : 1;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (err) => {
            console.error(`devnet failed: ${(err as Error).stack ?? err}`);
            process.exit(1);
        },
    );
}
