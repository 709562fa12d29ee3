import { NetworkProvider } from '@ton/blueprint';
import { Registry } from '../wrappers/Registry';
import { proxyFromArgs } from '../wrappers/Proxy';
import { ScriptArgs } from '../wrappers/billingScriptArgs';

/**
 * Deploys and activates a Proxy for the sender (its owner) with the registry's current params snapshot.
 * Args: registry=<address> proxyId=<n> seed=<proxy key seed hex> [stake=<TON>, default min proxy stake + 0.1]
 * The registry owner then records it with RegisterProxy.
 */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const registry = provider.open(Registry.fromAddress(a.address('registry')));
    const params = await registry.getParams();
    const paramsVersion = await registry.getParamsVersion();
    const keys = a.proxyKeys();
    const owner = provider.sender().address;
    if (!owner) throw new Error('the sender has no address');
    const proxy = provider.open(
        await proxyFromArgs({
            owner,
            publicKey: keys.publicKey,
            registry: registry.address,
            proxyId: a.bigint('proxyId'),
            paramsVersion,
            params,
        }),
    );
    const stake = a.has('stake') ? a.ton('stake') : params.minProxyStake + 100_000_000n;
    await proxy.send(provider.sender(), { value: stake }, null);
    await provider.waitForDeploy(proxy.address);
    provider.ui().write(`Proxy deployed at ${proxy.address.toString()} (params version ${paramsVersion})`);
    return proxy.address;
}
