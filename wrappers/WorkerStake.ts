// Convenience re-export of the generated WorkerStake wrapper (build/ is produced by `npm run build`).
import { Address, Dictionary } from '@ton/core';
import { WorkerStake as GeneratedWorkerStake } from '../build/WorkerStake/WorkerStake_WorkerStake';

export * from '../build/WorkerStake/WorkerStake_WorkerStake';

/**
 * WorkerStake is a Tact contract with parameters (its whole storage is its initial data); a stake is always deployed
 * by the registry in its initial state, so `fromInit(registry, workerKey)` fills in the rest exactly as the
 * registry's `workerStakeData` does: status None, owner = the registry, no bond, no info, no slashed requests.
 */
export class WorkerStake extends GeneratedWorkerStake {
    static async fromInit(registry: Address, workerKey: bigint): Promise<GeneratedWorkerStake> {
        return GeneratedWorkerStake.fromInit(
            registry,
            workerKey,
            0n,
            registry,
            0n,
            0n,
            null,
            Dictionary.empty(Dictionary.Keys.BigUint(256), Dictionary.Values.Bool()),
        );
    }
}
