import { Address, toNano } from '@ton/core';
import type { NetworkParams } from './Registry';

/** Network parameters for a local or test network; override any field. */
export function defaultNetworkParams(treasury: Address, overrides: Partial<NetworkParams> = {}): NetworkParams {
    return {
        $$type: 'NetworkParams',
        networkId: -3n,
        isTestNetwork: true,
        pricePerToken: 1000n,
        workerFeePerToken: 800n,
        promptMultiplierBps: 10000n,
        cachedMultiplierBps: 2500n,
        completionMultiplierBps: 10000n,
        reasoningMultiplierBps: 10000n,
        minProxyStake: toNano('10'),
        minClientStake: toNano('1'),
        minWorkerStake: toNano('5'),
        proxyCloseDelay: 7n * 86400n,
        clientCloseDelay: 86400n,
        workerUnbondingDelay: 3n * 86400n,
        slashFractionBps: 1000n,
        reporterBountyBps: 2000n,
        treasury,
        ...overrides,
    };
}
