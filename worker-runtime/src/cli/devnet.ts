/**
 * `chrysalis devnet chain | fund | advance`: a devnet TON chain as a process of its own (a sandbox chain behind the
 * toncenter v2 API, worker-runtime/src/devnet/tonApi/), its faucet and its clock. Roles, the client CLI and
 * blueprint reach it as they reach testnet: `CHRYSALIS_NETWORK=devnet CHRYSALIS_TON_ENDPOINT=<printed URL>`,
 * `--custom <printed URL> --custom-version v2 --custom-type testnet`. Exit codes: 0 done, 1 failed, 2 usage.
 */
import { parseArgs } from 'node:util';
import { DEVNET_API_PORT, DEVNET_ENDPOINT } from '../config/networks';
import { CHAIN_READY_MARK } from '../devnet/processes/chainReady';
import type { DeployedChainOptions } from '../devnet/processes/deployedChain';

const USAGE = `usage: chrysalis devnet chain [--api-port P] [--host H] [--time-scale S] [--deploy [deployment options]]
       chrysalis devnet fund <address> <TON> [--api URL]
       chrysalis devnet advance <seconds> [--api URL]

chain    runs a devnet TON chain (an in-memory sandbox, empty but for the faucet) and serves toncenter's v2 API
         over it until Ctrl-C/SIGTERM; prints "ton api http://<host>:<port>/jsonRPC". Use that URL as
         CHRYSALIS_TON_ENDPOINT with CHRYSALIS_NETWORK=devnet, or with blueprint:
           npx blueprint run <script> --custom <URL> --custom-version v2 --custom-type testnet --mnemonic
         --api-port P    port of the API (default ${DEVNET_API_PORT}; 0 = any free port)
         --host H        address to listen on (default 127.0.0.1)
         --time-scale S  chain seconds per wall-clock second (default 1): 60 makes an hour's delay a minute
         --deploy        first deploy the devnet's network on it (\`npm run devnet -- --processes\` starts its chain so),
                         then print its addresses as one line "${CHAIN_READY_MARK} {json}"; with
                         --seed S (default devnet) --workers N (default 2) --models a,b --generative c,d
                         --proxy-endpoint URL, and nanoTON --client-stake N --client-deposit N --client-funding N
fund     the faucet: sends <TON> (e.g. 10 or 0.5) to <address>, non-bounceable, so a new wallet can be deployed
advance  moves the chain's clock forward by <seconds> (a close or unbonding delay elapses at once)
         --api URL       the chain's API (default CHRYSALIS_TON_ENDPOINT, else ${DEVNET_ENDPOINT})`;

class UsageError extends Error {}

export async function run(argv: string[]): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            strict: true,
            options: {
                'api-port': { type: 'string' },
                host: { type: 'string', default: '127.0.0.1' },
                'time-scale': { type: 'string' },
                api: { type: 'string' },
                deploy: { type: 'boolean', default: false },
                seed: { type: 'string' },
                workers: { type: 'string' },
                models: { type: 'string' },
                generative: { type: 'string' },
                'proxy-endpoint': { type: 'string' },
                'client-stake': { type: 'string' },
                'client-deposit': { type: 'string' },
                'client-funding': { type: 'string' },
                help: { type: 'boolean', short: 'h', default: false },
            },
        });
    } catch (err) {
        process.stderr.write(`chrysalis devnet: ${(err as Error).message}\n\n${USAGE}\n`);
        return 2;
    }
    const { values, positionals } = parsed;
    const [command, ...rest] = positionals;
    if (values.help || command === 'help') {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    try {
        if (command === 'chain') {
            if (rest.length) throw new UsageError('chain takes no arguments');
            return await chain(
                intOption('api-port', values['api-port'], DEVNET_API_PORT, 0, 65535),
                values.host ?? '127.0.0.1',
                timeScaleOption(values['time-scale']),
                deployment(values),
            );
        }
        const api = values.api ?? process.env.CHRYSALIS_TON_ENDPOINT ?? DEVNET_ENDPOINT;
        if (command === 'fund') {
            if (rest.length !== 2) throw new UsageError('fund needs <address> <TON>');
            const [address, amount] = rest;
            if (!/^\d+(\.\d{1,9})?$/.test(amount))
                throw new UsageError(`<TON> must be an amount such as 1.5, got ${amount}`);
            const r = (await adminCall(api, 'fund', { address, amount })) as FundResult;
            process.stdout.write(
                `funded ${r.address} with ${r.amount} TON: balance ${r.balance} TON (transaction ${r.transaction.lt}:${r.transaction.hash})\n`,
            );
            return 0;
        }
        if (command === 'advance') {
            if (rest.length !== 1 || !/^\d+$/.test(rest[0]))
                throw new UsageError('advance needs <seconds> (an integer)');
            const r = (await adminCall(api, 'advance', { seconds: Number(rest[0]) })) as { now: number };
            process.stdout.write(`chain time ${r.now} (${new Date(r.now * 1000).toISOString()})\n`);
            return 0;
        }
        throw new UsageError(command ? `unknown command ${command}` : 'missing command');
    } catch (err) {
        if (err instanceof UsageError) {
            process.stderr.write(`chrysalis devnet: ${err.message}\n\n${USAGE}\n`);
            return 2;
        }
        process.stderr.write(`chrysalis devnet: ${(err as Error).message}\n`);
        return 1;
    }
}

interface FundResult {
    address: string;
    amount: string;
    balance: string;
    transaction: { lt: string; hash: string };
}

function intOption(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
        throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
    }
    return n;
}

export function timeScaleOption(text: string | undefined): number {
    if (text === undefined) return 1;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0 || n > 1_000_000) {
        throw new UsageError(`--time-scale must be a number above 0 (at most 1000000), got '${text}'`);
    }
    return n;
}

/** The admin URL of a devnet API given its JSON-RPC endpoint (`http://h:p/jsonRPC` or `.../api/v2/jsonRPC`). */
export function adminUrl(api: string, name: string): string {
    let url: URL;
    try {
        url = new URL(api);
    } catch {
        throw new UsageError(`--api must be the chain's URL, e.g. ${DEVNET_ENDPOINT}, got '${api}'`);
    }
    return `${url.origin}/admin/${name}`;
}

async function adminCall(api: string, name: string, body: unknown): Promise<unknown> {
    const url = adminUrl(api, name);
    let res: Response;
    try {
        res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
        });
    } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        throw new Error(
            `the devnet chain at ${url} could not be reached${cause ? ` (${cause})` : ''}: is \`chrysalis devnet chain\` running?`,
        );
    }
    const answer = (await res.json().catch(() => null)) as { ok?: boolean; result?: unknown; error?: string } | null;
    if (!answer?.ok) throw new Error(`the devnet chain refused: ${answer?.error ?? `HTTP ${res.status}`}`);
    return answer.result;
}

type Deployment = Omit<DeployedChainOptions, 'port' | 'host' | 'timeScale'>;

const DEPLOY_OPTIONS = [
    'seed',
    'workers',
    'models',
    'generative',
    'proxy-endpoint',
    'client-stake',
    'client-deposit',
    'client-funding',
] as const;

/** The network --deploy puts on the chain, or null without --deploy (its options are refused then). */
function deployment(values: Partial<Record<(typeof DEPLOY_OPTIONS)[number], string>> & { deploy?: boolean }) {
    if (!values.deploy) {
        const stray = DEPLOY_OPTIONS.find((name) => values[name] !== undefined);
        if (stray) throw new UsageError(`--${stray} goes with --deploy`);
        return null;
    }
    const list = (text: string | undefined) => (text ? text.split(',').filter(Boolean) : []);
    const nano = (name: (typeof DEPLOY_OPTIONS)[number]) => {
        const text = values[name];
        if (text === undefined) return undefined;
        if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be nanoTON (an integer), got '${text}'`);
        return BigInt(text);
    };
    const d: Deployment = {
        seed: values.seed ?? 'devnet',
        workers: intOption('workers', values.workers, 2, 1, 64),
        models: values.models ? (list(values.models) as Deployment['models']) : undefined,
        generative: list(values.generative) as Deployment['generative'],
        proxyEndpoint: values['proxy-endpoint'],
        clientStake: nano('client-stake'),
        clientDeposit: nano('client-deposit'),
        clientFunding: nano('client-funding'),
    };
    return d;
}

/** The standalone chain (with the devnet's network on it when `deploy`): runs until SIGINT/SIGTERM. */
async function chain(port: number, host: string, timeScale: number, deploy: Deployment | null): Promise<number> {
    // Loaded here: `--help` and `fund` must not load the sandbox.
    const { Blockchain } = require('@ton/sandbox') as typeof import('@ton/sandbox');
    const { startTonApi } = require('../devnet/tonApi') as typeof import('../devnet/tonApi');
    const { serveDeployedChain } =
        require('../devnet/processes/deployedChain') as typeof import('../devnet/processes/deployedChain');
    let api: Awaited<ReturnType<typeof startTonApi>>;
    let ready = '';
    if (deploy) {
        const served = await serveDeployedChain({ ...deploy, port, host, timeScale });
        api = served.api;
        ready = `${CHAIN_READY_MARK} ${JSON.stringify(served.ready)}\n`;
    } else {
        const blockchain = await Blockchain.create();
        blockchain.now = Math.floor(Date.now() / 1000);
        api = await startTonApi({ blockchain, port, host, timeScale });
    }
    process.stdout.write(
        `ton api ${api.url}\n` +
            `  faucet: chrysalis devnet fund <address> <TON> --api ${api.url}\n` +
            `  clock: ${timeScale}× wall time; chrysalis devnet advance <seconds> --api ${api.url}\n` +
            `  blueprint: npx blueprint run <script> --custom ${api.url} --custom-version v2 --custom-type testnet --mnemonic\n` +
            `  roles and client: CHRYSALIS_NETWORK=devnet CHRYSALIS_TON_ENDPOINT=${api.url}\n` +
            `Ctrl-C stops (the chain lives in memory and is gone then).\n` +
            ready,
    );
    await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
    });
    await api.close();
    return 0;
}
