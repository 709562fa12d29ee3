import { Address, beginCell, Cell, Dictionary } from '@ton/core';
import {
    NetworkParams,
    storeNetworkParams,
    storeRegistryGov,
    storeStakeTerms,
} from '../build/Registry/Registry_Registry';

/** Arguments of the generated `fromInit` of a registry code version (Registry, RegistryV2): its whole storage. */
export type RegistryInitArgs = [
    owner: Address,
    paused: boolean,
    minWorkerStake: bigint,
    modelCount: bigint,
    models: Dictionary<bigint, number>,
    ext: Cell,
];

/** Mirrors checkNetworkParams (contracts/registry/registry_core.tact), which SetParams applies on chain. */
export function checkNetworkParams(p: NetworkParams): void {
    if (p.workerFeePerToken > p.pricePerToken) throw new Error('invalid params: workerFeePerToken > pricePerToken');
    if (p.slashFractionBps > 10000n || p.reporterBountyBps > 10000n) {
        throw new Error('invalid params: a fraction above 10000 bps');
    }
    if (p.minWorkerStake <= 0n) throw new Error('invalid params: minWorkerStake must be positive');
}

/**
 * The initial storage of a registry (a Tact contract with parameters, so the deployer writes it): owner, not paused,
 * `params.minWorkerStake`, no models, and the RegistryExt cell that registry_core.tact reads with extOf:
 * ^worker_stake_code ^stake_terms worker_images:(HashmapE 256 Bool) worker_image_count:uint8 ^RegistryGov.
 */
export function registryInitArgs(owner: Address, params: NetworkParams, workerStakeCode: Cell): RegistryInitArgs {
    checkNetworkParams(params);
    const terms = beginCell()
        .store(
            storeStakeTerms({
                $$type: 'StakeTerms',
                unbondingDelay: params.workerUnbondingDelay,
                slashFractionBps: params.slashFractionBps,
                reporterBountyBps: params.reporterBountyBps,
                treasury: params.treasury,
            }),
        )
        .endCell();
    const gov = beginCell()
        .store(
            storeRegistryGov({
                $$type: 'RegistryGov',
                version: 1n,
                paramsVersion: 1n,
                proxyImageCount: 0n,
                proxyCount: 0n,
                params: beginCell().store(storeNetworkParams(params)).endCell(),
                proxyImages: Dictionary.empty(Dictionary.Keys.BigUint(256), Dictionary.Values.Bool()),
                proxies: Dictionary.empty(),
                billingCodes: beginCell().storeMaybeRef(null).storeMaybeRef(null).storeMaybeRef(null).endCell(),
                pendingUpgrade: null,
                halter: null,
                proposedOwner: null,
            }),
        )
        .endCell();
    const ext = beginCell()
        .storeRef(workerStakeCode)
        .storeRef(terms)
        .storeMaybeRef(null)
        .storeUint(0, 8)
        .storeRef(gov)
        .endCell();
    return [
        owner,
        false,
        params.minWorkerStake,
        0n,
        Dictionary.empty(Dictionary.Keys.BigUint(256), Dictionary.Values.Uint(8)),
        ext,
    ];
}
