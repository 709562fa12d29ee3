import { toNano } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { Registry } from '../wrappers/Registry';
import { WorkerStake } from '../wrappers/WorkerStake';
import { defaultNetworkParams } from '../wrappers/registryParams';
import { ScriptArgs } from './lib/args';
import { parseParamOverrides } from './lib/params';

/** Deploys the Registry: --owner (default: the deploying wallet), --treasury, optional --<param> overrides. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const owner = args.has('owner') ? await args.address('owner', 'Owner address') : provider.sender().address!;
    const treasury = await args.address('treasury', 'Treasury address (receives slashed TON)');
    const params = { ...defaultNetworkParams(treasury), ...parseParamOverrides(args) };
    const stakeCode = (await WorkerStake.fromInit(owner, 0n)).init!.code;
    const registry = provider.open(await Registry.fromInit(owner, params, stakeCode));
    if (await provider.isContractDeployed(registry.address)) {
        provider.ui().write(`Registry already deployed at ${registry.address.toString()}`);
        return registry.address;
    }
    await registry.send(provider.sender(), { value: toNano('0.6') }, { $$type: 'TopUpReserve', queryId: 0n });
    await provider.waitForDeploy(registry.address);
    provider.ui().write(`Registry deployed at ${registry.address.toString()}`);
    return registry.address;
}
