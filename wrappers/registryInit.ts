import { Address, beginCell, Cell, Dictionary } from '@ton/core';
import {
    MAX_CLOSE_DELAY,
    MAX_REPORTER_BOUNTY_BPS,
    MAX_WORKER_UNBONDING_DELAY,
    MIN_PROXY_CLOSE_DELAY,
    MIN_SLASH_FRACTION_BPS,
    MIN_WORKER_UNBONDING_DELAY,
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
    if (p.slashFractionBps < MIN_SLASH_FRACTION_BPS || p.slashFractionBps > 10000n) {
        throw new Error(`invalid params: slashFractionBps must be ${MIN_SLASH_FRACTION_BPS}..10000`);
    }
    if (p.reporterBountyBps > MAX_REPORTER_BOUNTY_BPS) {
        throw new Error(`invalid params: reporterBountyBps above ${MAX_REPORTER_BOUNTY_BPS}`);
    }
    if (p.minWorkerStake <= 0n) throw new Error('invalid params: minWorkerStake must be positive');
    if (p.workerUnbondingDelay < MIN_WORKER_UNBONDING_DELAY || p.workerUnbondingDelay > MAX_WORKER_UNBONDING_DELAY) {
        throw new Error(
            `invalid params: workerUnbondingDelay must be ${MIN_WORKER_UNBONDING_DELAY}..${MAX_WORKER_UNBONDING_DELAY} s`,
        );
    }
    if (p.proxyCloseDelay > MAX_CLOSE_DELAY || p.clientCloseDelay > MAX_CLOSE_DELAY) {
        throw new Error(`invalid params: a close delay above ${MAX_CLOSE_DELAY} s`);
    }
    if (p.proxyCloseDelay < MIN_PROXY_CLOSE_DELAY) {
        throw new Error(`invalid params: proxyCloseDelay below ${MIN_PROXY_CLOSE_DELAY} s (the workers' claim window)`);
    }
}

/**
 * The initial storage of a registry (a Tact contract with parameters, so the deployer writes it): owner, not paused,
 * `params.minWorkerStake`, no models, and the RegistryExt cell that registry_core.tact reads with extOf:
 * ^worker_stake_code ^stake_terms worker_images:(HashmapE 256 Bool) worker_image_count:uint8 ^RegistryGov
 * last_registrant:MsgAddressInt (the owner until the first registration).
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
                pendingChange: null,
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
        .storeAddress(owner)
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
