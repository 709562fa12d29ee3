import { NetworkProvider } from '@ton/blueprint';
import { Registry } from '../wrappers/Registry';
import { proxyFromArgs } from '../wrappers/Proxy';
import { ScriptArgs } from './lib/args';
import { proxyKeys } from './lib/proxyKey';

/**
 * Deploys and activates a Proxy for the sender (its owner) with the registry's current params snapshot:
 * --registry, --id, --seed (or CHRYSALIS_PROXY_SEED), optional --stake in TON (default: min proxy stake + 0.3, which
 * covers the Proxy's 0.2 TON storage reserve, PROXY_RESERVE, and the activation's fees).
 * The registry owner then records it with registerProxy.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = provider.open(Registry.fromAddress(await args.address('registry', 'Registry address')));
    const proxyId = await args.uint('id', 'Proxy id (uint32)');
    const keys = await proxyKeys(args);
    const params = await registry.getParams();
    const paramsVersion = await registry.getParamsVersion();
    const owner = provider.sender().address;
    if (!owner) throw new Error('the sender has no address');
    const proxy = provider.open(
        await proxyFromArgs({
            owner,
            publicKey: keys.publicKey,
            registry: registry.address,
            proxyId,
            paramsVersion,
            params,
        }),
    );
    const stake = args.has('stake') ? await args.ton('stake', 'Stake (TON)') : params.minProxyStake + 300_000_000n;
    await proxy.send(provider.sender(), { value: stake }, null);
    await provider.waitForDeploy(proxy.address);
    provider.ui().write(`Proxy deployed at ${proxy.address.toString()} (params version ${paramsVersion})`);
    return proxy.address;
}
