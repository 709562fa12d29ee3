import { NetworkProvider } from '@ton/blueprint';
import { Cell } from '@ton/core';
import { Registry } from '../wrappers/Registry';
import { proxyFromArgs } from '../wrappers/Proxy';
import { ScriptArgs } from './lib/args';
import { PROXY_SEED_ARG, proxyKeys } from './lib/proxyKey';
import { SEND_ARGS, submit } from './lib/send';

/**
 * Deploys and activates a Proxy for the sender (its owner) with the registry's current params snapshot:
 * --registry, --id, --seed (or CHRYSALIS_PROXY_SEED), optional --stake in TON (default: min proxy stake + 0.3, which
 * covers the Proxy's 0.2 TON storage reserve, PROXY_RESERVE, and the activation's fees).
 * Prints the proxy's address and public key, which the registry owner then records with registerProxy.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        registry: { describe: 'Registry address' },
        id: { describe: 'Proxy id (uint32)' },
        stake: { describe: 'Stake in TON (default: min proxy stake + 0.3)', optional: true },
        ...PROXY_SEED_ARG,
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const registry = provider.open(Registry.fromAddress(await args.address('registry')));
    const proxyId = await args.uint('id');
    const keys = await proxyKeys(args);
    const params = await registry.getParams();
    const paramsVersion = await registry.getParamsVersion();
    const owner = provider.sender().address;
    if (!owner) throw new Error('the sender has no address');
    const proxy = await proxyFromArgs({
        owner,
        publicKey: keys.publicKey,
        registry: registry.address,
        proxyId,
        paramsVersion,
        params,
    });
    const stake = args.has('stake') ? await args.ton('stake') : params.minProxyStake + 300_000_000n;
    await submit(provider, args, 'deploy Proxy', {
        to: proxy.address,
        value: stake,
        // The Proxy activates on an empty-bodied message (its null receiver).
        body: Cell.EMPTY,
        init: proxy.init!,
    });
    const ui = provider.ui();
    ui.write(`Proxy ${proxy.address.toString()} (params version ${paramsVersion})`);
    ui.write(`public key ${keys.publicKey.toString('hex')}`);
    return proxy.address;
}
