import { fromNano } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { ADMIN_FEE, REGISTRY_STORAGE_RESERVE, storeTopUpReserve } from '../wrappers/Registry';
import { ScriptArgs } from './lib/args';
import { openRegistry, REGISTRY_ARG } from './lib/registry';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/**
 * TopUpReserve (anyone): brings the registry's balance back up to REGISTRY_STORAGE_RESERVE (governance events are
 * paid from it); the registry keeps what is missing and returns the rest. --amount TON to attach, default what is
 * missing plus ADMIN_FEE.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        ...REGISTRY_ARG,
        amount: { describe: 'TON to attach (default: what is missing + the admin fee)', optional: true },
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const registry = await openRegistry(provider, args);
    const balance = async () => (await provider.provider(registry.address).getState()).balance;
    const before = await balance();
    const missing = before < REGISTRY_STORAGE_RESERVE ? REGISTRY_STORAGE_RESERVE - before : 0n;
    const value = args.has('amount') ? await args.ton('amount') : missing + ADMIN_FEE;
    const { sent } = await submit(provider, args, 'TopUpReserve', {
        to: registry.address,
        value,
        body: messageBody(storeTopUpReserve, { $$type: 'TopUpReserve', queryId: 0n }),
    });
    if (sent) {
        provider
            .ui()
            .write(
                `registry balance ${fromNano(before)} -> ${fromNano(await balance())} TON (reserve ${fromNano(REGISTRY_STORAGE_RESERVE)})`,
            );
    }
}
