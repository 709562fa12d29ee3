/**
 * The chain process of `npm run devnet -- --processes`: a sandbox chain with the devnet's network deployed on it
 * (deployNetwork, exactly as the in-process devnet deploys it), served through the devnet's TON API (toncenter v2
 * JSON-RPC, faucet, clock) until SIGINT/SIGTERM. Prints one line `CHAIN_READY_MARK {url, addresses}` once it serves.
 *
 *   node -r tsx/cjs chainMain.ts --seed S --workers N --models a,b --generative c,d --proxy-endpoint URL [--api-port P] [--time-scale S]
 *     [--client-stake N --client-deposit N --client-funding N]   (nanoTON)
 */
import { parseArgs } from 'node:util';
import { SandboxChain } from '../../chain/sandboxChain';
import { startTonApi } from '../tonApi';
import { deployNetwork } from '../deployNetwork';
import { DevnetGenerativeName, DevnetModelName } from '../models';
import { devnetAddresses } from '../view';
import { CHAIN_READY_MARK, ChainReady } from './chainReady';

const nano = (text: string | undefined) => (text === undefined ? undefined : BigInt(text));

async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            seed: { type: 'string', default: 'devnet' },
            workers: { type: 'string', default: '2' },
            models: { type: 'string', default: '' },
            generative: { type: 'string', default: '' },
            'proxy-endpoint': { type: 'string' },
            'api-port': { type: 'string', default: '0' },
            'time-scale': { type: 'string', default: '1' },
            // nanoTON; default deployNetwork's
            'client-stake': { type: 'string' },
            'client-deposit': { type: 'string' },
            'client-funding': { type: 'string' },
        },
        strict: true,
    });
    const list = (text: string | undefined) => (text ? text.split(',').filter(Boolean) : []);
    const chain = await SandboxChain.create();
    const network = await deployNetwork(chain, {
        seed: values.seed,
        workers: Number(values.workers),
        models: values.models ? (list(values.models) as DevnetModelName[]) : undefined,
        generative: list(values.generative) as DevnetGenerativeName[],
        proxyEndpoint: values['proxy-endpoint'],
        clientStake: nano(values['client-stake']),
        clientDeposit: nano(values['client-deposit']),
        clientFunding: nano(values['client-funding']),
    });
    const api = await startTonApi({
        blockchain: chain.blockchain,
        port: Number(values['api-port']),
        timeScale: Number(values['time-scale']),
    });
    const ready: ChainReady = { url: api.url, baseUrl: api.baseUrl, addresses: devnetAddresses(network) };
    process.stdout.write(`${CHAIN_READY_MARK} ${JSON.stringify(ready)}\n`);
    await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
    });
    await api.close();
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
        process.stderr.write(`devnet chain failed: ${(err as Error).stack ?? err}\n`);
        process.exit(1);
    },
);
