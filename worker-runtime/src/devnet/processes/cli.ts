/**
 * `npm run devnet -- --processes`: starts the devnet as processes (orchestrator.ts), runs the same requests, settlement
 * and reconciliation as the in-process devnet (run.ts), prints the same report, and stops every process, also when the
 * run fails or is interrupted. With --keep-running it serves until Ctrl-C, the gateway process on --gateway-port, and
 * prints how to join it by hand.
 */
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { ChrysalisError } from '../../errors';
import { walletContract } from '../../cli/networkConfig';
import type { DevnetCliOptions } from '../main';
import { DEVNET_GENERATIVE_NAMES } from '../models';
import { RedisUnavailableError } from '../redis';
import { runAndReport } from '../run';
import { fund, ProcessDevnet, startProcessDevnet } from './orchestrator';
import { KEEP_RUNNING_FUNDING, RUN_FUNDING } from './gatewayProcess';
import { gatewaySnippets } from '../snippets';

export async function runProcessDevnet(options: DevnetCliOptions, say: (line: string) => void): Promise<number> {
    const t0 = Date.now();
    let devnet: ProcessDevnet;
    try {
        devnet = await startProcessDevnet({
            workers: options.workers,
            seed: options.seed,
            port: options.port,
            apiPort: options.apiPort ?? 0,
            timeScale: options.timeScale,
            generative: options.generative ? DEVNET_GENERATIVE_NAMES : [],
            // The gateway is the client side of the generative demo; kept running, it serves until Ctrl-C.
            gateway: options.generative || options.keepRunning,
            gatewayFunding: options.keepRunning ? KEEP_RUNNING_FUNDING : RUN_FUNDING,
            onStep: say,
        });
    } catch (err) {
        if (err instanceof RedisUnavailableError || err instanceof ChrysalisError) {
            console.error(err.message);
            return 1;
        }
        throw err;
    }
    // Ctrl-C or a TERM while the run is going: every process is stopped before this one exits.
    let interrupted = false;
    const interrupt = () => {
        interrupted = true;
        say('interrupted: stopping every process');
        // Requests still in flight fail as their processes go: expected now, and no reason to exit otherwise.
        process.on('unhandledRejection', () => undefined);
        void devnet.stop(true).finally(() => process.exit(130));
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    let ok = false;
    try {
        ok = await runAndReport(devnet, options, say, Date.now() - t0);
        if (options.keepRunning) {
            process.removeListener('SIGINT', interrupt);
            process.removeListener('SIGTERM', interrupt);
            say(await joinInstructions(devnet));
            // The run's gateway stopped to settle its account; this one goes on from the chain's count.
            say(`\n${gatewaySnippets(await devnet.startGateway(options.gatewayPort))}`);
            say(
                `  (chrysalis client serve with ClientAccount ${devnet.gatewayClient!.account.toString()}, log ` +
                    `${devnet.logDir}/gateway.log; it commits its vouchers as they fall due and when it stops)`,
            );
            await new Promise<void>((resolve) => {
                process.once('SIGINT', resolve);
                process.once('SIGTERM', resolve);
            });
        }
    } finally {
        process.removeListener('SIGINT', interrupt);
        process.removeListener('SIGTERM', interrupt);
        if (!interrupted) {
            await devnet.stop(!ok);
            if (!ok) say(`the processes' logs are kept in ${devnet.logDir}`);
        }
    }
    return ok ? 0 : 1;
}

/** A fresh wallet's words and address, funded by the faucet: what a person joining the devnet by hand starts with. */
async function spareWallet(devnet: ProcessDevnet, ton: string): Promise<{ words: string; address: string }> {
    const words = await mnemonicNew(24);
    const keys = await mnemonicToPrivateKey(words);
    const address = walletContract('v4', 'devnet', keys.publicKey).address;
    await fund(devnet.tonApiBase, address, ton);
    return { words: words.join(' '), address: address.toString({ testOnly: true, bounceable: false }) };
}

/** How to start a worker and use the client CLI against this devnet, with wallets funded for it. */
export async function joinInstructions(devnet: ProcessDevnet): Promise<string> {
    const e = devnet.endpoints;
    const operator = await spareWallet(devnet, '20');
    const client = await spareWallet(devnet, '20');
    const tensor = devnet.network.models.find((m) => m.name === 'tiny-mlp') ?? devnet.network.models[0];
    const net = `CHRYSALIS_NETWORK=devnet CHRYSALIS_TON_ENDPOINT=${e.tonApi}`;
    return [
        '',
        `serving until Ctrl-C: proxy ${devnet.proxyUrl}, ton api ${e.tonApi}, redis ${e.redisUrl} (prefix ${e.prefix})`,
        `  faucet: npx chrysalis devnet fund <address> <TON> --api ${e.tonApi}`,
        `a worker of your own (a wallet funded for you: ${operator.address}); it bonds its key and the proxy admits it:`,
        `  ${net} REDIS_URL=${e.redisUrl} CHRYSALIS_PREFIX=${e.prefix} \\`,
        `  CHRYSALIS_REGISTRY=${e.registry} CHRYSALIS_MODEL_PATH=${tensor.path} \\`,
        `  CHRYSALIS_ATTESTATION=simulated CHRYSALIS_REGISTER=true CHRYSALIS_WORKER_HTTP_PORT=0 \\`,
        `  CHRYSALIS_WALLET_MNEMONIC="${operator.words}" \\`,
        `  npx chrysalis worker start`,
        `the client CLI (a wallet funded for you: ${client.address}):`,
        `  export ${net} CHRYSALIS_PROXY_URL=${devnet.proxyUrl} \\`,
        `    CHRYSALIS_PROXY_ADDRESS=${devnet.network.proxy.contract.address.toString()} CHRYSALIS_REGISTRY=${e.registry} \\`,
        `    CHRYSALIS_CLIENT_MNEMONIC="${client.words}"`,
        `  npx chrysalis client open --stake 1 --deposit 5`,
        `  npx chrysalis client infer --model ${tensor.hashHex} --input <inputs.json>`,
    ].join('\n');
}
