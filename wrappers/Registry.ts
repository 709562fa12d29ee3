// Convenience re-export of the generated Registry wrapper (build/ is produced by `npm run build`).
import { Address, Cell } from '@ton/core';
import { NetworkParams, Registry as GeneratedRegistry } from '../build/Registry/Registry_Registry';
import { registryInitArgs } from './registryInit';

export * from '../build/Registry/Registry_Registry';

export type Registry = GeneratedRegistry;

/**
 * The Registry is a Tact contract with parameters (its whole storage is its initial data):
 * `fromInit(owner, params, workerStakeCode)` builds that storage (wrappers/registryInit.ts) and rejects invalid params.
 */
export const Registry = {
    storageReserve: GeneratedRegistry.storageReserve,
    errors: GeneratedRegistry.errors,
    opcodes: GeneratedRegistry.opcodes,
    fromAddress: (address: Address): GeneratedRegistry => GeneratedRegistry.fromAddress(address),
    fromInit: (owner: Address, params: NetworkParams, workerStakeCode: Cell): Promise<GeneratedRegistry> =>
        GeneratedRegistry.fromInit(...registryInitArgs(owner, params, workerStakeCode)),
};
