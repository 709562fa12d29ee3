// TEST ONLY: the second Registry code version used by the upgrade tests.
import { Address, Cell } from '@ton/core';
import type { NetworkParams } from '../build/Registry/Registry_Registry';
import { RegistryV2 as GeneratedRegistryV2 } from '../build/RegistryV2/RegistryV2_RegistryV2';
import { registryInitArgs } from './registryInit';

export type RegistryV2 = GeneratedRegistryV2;

/** `fromInit(owner, params, workerStakeCode)` as in wrappers/Registry.ts (the same storage layout). */
export const RegistryV2 = {
    fromAddress: (address: Address): GeneratedRegistryV2 => GeneratedRegistryV2.fromAddress(address),
    fromInit: (owner: Address, params: NetworkParams, workerStakeCode: Cell): Promise<GeneratedRegistryV2> =>
        GeneratedRegistryV2.fromInit(...registryInitArgs(owner, params, workerStakeCode)),
};
