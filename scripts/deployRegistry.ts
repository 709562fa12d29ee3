import { toNano } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { NetworkParams, Registry, storeTopUpReserve } from '../wrappers/Registry';
import { WorkerStake } from '../wrappers/WorkerStake';
import { defaultNetworkParams } from '../wrappers/registryParams';
import { ScriptArgs, ScriptArgsError } from './lib/args';
import { PARAM_ARGS, parseParamOverrides } from './lib/params';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** TON's global id of the mainnet (the testnet's is -3, the default of defaultNetworkParams). */
export const MAINNET_NETWORK_ID = -239n;

/**
 * Deploys the Registry: --treasury, --owner (default: the deploying wallet), optional --<NetworkParams field> value.
 * On mainnet the defaults are mainnet's (networkId -239, isTestNetwork false) and test-network params, under which
 * the registry accepts simulated TEE quotes, are refused unless --allow-test-params is given.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        treasury: { describe: 'Treasury address (receives slashed TON)' },
        owner: { describe: 'Owner address (default: the deploying wallet; a multisig for production)', optional: true },
        ...PARAM_ARGS,
        'allow-test-params': { flag: true, describe: 'deploy test-network params (simulated quotes) on mainnet' },
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const mainnet = provider.network() === 'mainnet';
    const deployer = provider.sender().address;
    if (!args.has('owner') && !deployer) throw new ScriptArgsError('missing --owner (the wallet has no address)');
    const owner = args.has('owner') ? await args.address('owner') : deployer!;
    const treasury = await args.address('treasury');
    const params: NetworkParams = {
        ...defaultNetworkParams(treasury, mainnet ? { networkId: MAINNET_NETWORK_ID, isTestNetwork: false } : {}),
        ...parseParamOverrides(args),
    };
    if (
        mainnet &&
        (params.isTestNetwork || params.networkId !== MAINNET_NETWORK_ID) &&
        !args.flag('allow-test-params')
    ) {
        throw new ScriptArgsError(
            `refusing to deploy test-network params on mainnet (isTestNetwork ${params.isTestNetwork}, networkId ` +
                `${params.networkId}): a registry with isTestNetwork accepts simulated TEE quotes. ` +
                'Pass --allow-test-params if that is really meant.',
        );
    }
    const stakeCode = (await WorkerStake.fromInit(owner, 0n)).init!.code;
    const registry = await Registry.fromInit(owner, params, stakeCode);
    if (await provider.isContractDeployed(registry.address)) {
        provider.ui().write(`Registry already deployed at ${registry.address.toString()}`);
        return registry.address;
    }
    const { sent } = await submit(provider, args, 'deploy Registry', {
        to: registry.address,
        // REGISTRY_STORAGE_RESERVE (0.5 TON) is kept; the rest comes back as Excesses.
        value: toNano('0.6'),
        body: messageBody(storeTopUpReserve, { $$type: 'TopUpReserve', queryId: 0n }),
        init: registry.init!,
    });
    if (sent) provider.ui().write(`Registry deployed at ${registry.address.toString()}`);
    return registry.address;
}
