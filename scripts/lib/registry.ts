import { toNano } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { Registry } from '../../wrappers/Registry';
import { WorkerStake } from '../../wrappers/WorkerStake';
import { ScriptArgs } from './args';

/** Value attached to governance messages; the registry returns what it does not spend as Excesses. */
export const ADMIN_VALUE = toNano('0.05');

export async function openRegistry(provider: NetworkProvider, args: ScriptArgs) {
    const address = await args.address('registry', 'Registry address');
    if (!(await provider.isContractDeployed(address))) {
        throw new Error(`no contract is deployed at ${address.toString()}`);
    }
    return provider.open(Registry.fromAddress(address));
}

/** The WorkerStake of `--key` (worker public key, hex) or `--stake` (its address). */
export async function openStake(provider: NetworkProvider, args: ScriptArgs) {
    if (args.has('stake')) {
        return provider.open(WorkerStake.fromAddress(await args.address('stake', 'WorkerStake address')));
    }
    const registry = await openRegistry(provider, args);
    const key = await args.uint256('key', 'Worker public key (hex)');
    return provider.open(WorkerStake.fromAddress(await registry.getWorkerStakeAddress(key)));
}

export function done(provider: NetworkProvider, message: string): void {
    provider.ui().write(message);
}
