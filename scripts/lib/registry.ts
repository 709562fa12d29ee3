import { toNano } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { Registry } from '../../wrappers/Registry';
import { WorkerStake } from '../../wrappers/WorkerStake';
import { ArgSpec, ScriptArgs } from './args';

/** Value attached to governance messages; the registry returns what it does not spend as Excesses. */
export const ADMIN_VALUE = toNano('0.05');

export const REGISTRY_ARG: ArgSpec = { registry: { describe: 'Registry address' } };

/** `--stake`, or `--registry` and `--key`: how the stake scripts name a WorkerStake. */
export const STAKE_ARGS: ArgSpec = {
    stake: { describe: 'WorkerStake address (or give --registry and --key)', optional: true },
    registry: { describe: 'Registry address', optional: true },
    key: { describe: 'Worker public key (hex)', optional: true },
};

export async function openRegistry(provider: NetworkProvider, args: ScriptArgs) {
    const address = await args.address('registry');
    if (!(await provider.isContractDeployed(address))) {
        throw new Error(`no contract is deployed at ${address.toString()}`);
    }
    return provider.open(Registry.fromAddress(address));
}

/** The WorkerStake of `--key` (worker public key, hex) at `--registry`, or `--stake` (its address). */
export async function openStake(provider: NetworkProvider, args: ScriptArgs) {
    if (args.has('stake')) return provider.open(WorkerStake.fromAddress(await args.address('stake')));
    const registry = await openRegistry(provider, args);
    const key = await args.uint256('key');
    return provider.open(WorkerStake.fromAddress(await registry.getWorkerStakeAddress(key)));
}
