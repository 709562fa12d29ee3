import { Address } from '@ton/core';
import * as RegistryWrapper from '../../../wrappers/Registry';
import * as WorkerStakeWrapper from '../../../wrappers/WorkerStake';
import * as ProxyWrapper from '../../../wrappers/Proxy';
import { EventDecoder } from './eventDecoder';
import { WatchedContract } from './eventWatcher';

/**
 * Event decoders for the contracts the runtime follows, built from the Tact-generated wrappers: opcodes and layouts
 * come from the Tact sources (contracts/…/messages.tact), never from a second copy here.
 */

export const REGISTRY_EVENTS = [
    'OwnerProposedEvent',
    'OwnerChangedEvent',
    'HalterChangedEvent',
    'PausedChangedEvent',
    'ParamsSetEvent',
    'ListChangedEvent',
    'ChildCodeSetEvent',
    'UpgradeScheduledEvent',
    'UpgradeCancelledEvent',
    'UpgradeExecutedEvent',
    'ChildBouncedEvent',
    'ChangeScheduledEvent',
    'ChangeCancelledEvent',
] as const;

export const WORKER_STAKE_EVENTS = [
    'StakeActivatedEvent',
    'StakeToppedUpEvent',
    'UnbondingStartedEvent',
    'StakeWithdrawnEvent',
    'StakeSlashedEvent',
    'RegistrationRefusedEvent',
] as const;

export const PROXY_EVENTS = [
    'ProxyActivatedEvent',
    'ProxyCloseRequestedEvent',
    'ProxyClosedEvent',
    'StateCommittedEvent',
    'WorkerPaidEvent',
] as const;

/** The `list` field of ListChangedEvent (contracts/registry/messages.tact). */
export const RegistryList = { workerImages: 1, proxyImages: 2, models: 3, proxies: 4 } as const;

/** WorkerStake `status` values (contracts/stake/constants.tact). */
export const StakeStatus = { none: 0n, active: 1n, unbonding: 2n, slashed: 3n } as const;

// Any address works for reading the ABI: it is a property of the generated class, not of an instance's state.
const ZERO = new Address(0, Buffer.alloc(32));

export function registryEventDecoder(): EventDecoder {
    return new EventDecoder(
        RegistryWrapper.Registry.fromAddress(ZERO).abi,
        RegistryWrapper as unknown as Record<string, unknown>,
        REGISTRY_EVENTS,
    );
}

export function workerStakeEventDecoder(): EventDecoder {
    return new EventDecoder(
        WorkerStakeWrapper.WorkerStake.fromAddress(ZERO).abi,
        WorkerStakeWrapper as unknown as Record<string, unknown>,
        WORKER_STAKE_EVENTS,
    );
}

export function proxyEventDecoder(): EventDecoder {
    return new EventDecoder(
        ProxyWrapper.Proxy.fromAddress(ZERO).abi,
        ProxyWrapper as unknown as Record<string, unknown>,
        PROXY_EVENTS,
    );
}

/** Watch entries for the usual set: the registry, optionally a proxy and some worker stakes. */
export function watchedRegistry(address: Address): WatchedContract {
    return { label: 'registry', address, decoder: registryEventDecoder() };
}

export function watchedWorkerStake(address: Address): WatchedContract {
    return { label: 'worker-stake', address, decoder: workerStakeEventDecoder() };
}

export function watchedProxy(address: Address): WatchedContract {
    return { label: 'proxy', address, decoder: proxyEventDecoder() };
}
