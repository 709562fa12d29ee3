/**
 * The chain of `npm run devnet -- --processes`, served by `chrysalis devnet chain --deploy`: a sandbox chain with the
 * devnet's network deployed on it by deployNetwork (exactly as the in-process devnet deploys it), behind the devnet's
 * TON API. The command prints one line `CHAIN_READY_MARK {url, baseUrl, addresses}` (chainReady.ts) once it serves.
 */
import { SandboxChain } from '../../chain/sandboxChain';
import { deployNetwork, DeployNetworkOptions } from '../deployNetwork';
import { startTonApi, TonApi } from '../tonApi';
import { devnetAddresses } from '../view';
import { ChainReady } from './chainReady';

export interface DeployedChainOptions extends Pick<
    DeployNetworkOptions,
    'seed' | 'workers' | 'models' | 'generative' | 'proxyEndpoint' | 'clientStake' | 'clientDeposit' | 'clientFunding'
> {
    port: number;
    host: string;
    timeScale: number;
}

export async function serveDeployedChain(o: DeployedChainOptions): Promise<{ api: TonApi; ready: ChainReady }> {
    const chain = await SandboxChain.create();
    const network = await deployNetwork(chain, {
        seed: o.seed,
        workers: o.workers,
        models: o.models,
        generative: o.generative,
        proxyEndpoint: o.proxyEndpoint,
        clientStake: o.clientStake,
        clientDeposit: o.clientDeposit,
        clientFunding: o.clientFunding,
    });
    const api = await startTonApi({ blockchain: chain.blockchain, port: o.port, host: o.host, timeScale: o.timeScale });
    return { api, ready: { url: api.url, baseUrl: api.baseUrl, addresses: devnetAddresses(network) } };
}
