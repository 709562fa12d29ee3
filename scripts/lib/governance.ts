import { Cell, OpenedContract } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { Registry } from '../../wrappers/Registry';
import { ArgSpec, ScriptArgs } from './args';
import { ADMIN_VALUE, openRegistry, REGISTRY_ARG } from './registry';
import { SEND_ARGS, submit } from './send';

/**
 * One registry message from the owner's (or halter's) wallet: parses `--registry`, the script's own arguments and
 * `--print-message`, builds the body, and sends it and waits for the outcome (or prints it for a multisig).
 */
export async function governanceMessage(
    provider: NetworkProvider,
    argv: string[],
    spec: ArgSpec,
    what: string,
    body: (args: ScriptArgs, registry: OpenedContract<Registry>) => Promise<Cell>,
    value: bigint = ADMIN_VALUE,
) {
    const args = new ScriptArgs(argv, { ...REGISTRY_ARG, ...spec, ...SEND_ARGS }, provider.ui());
    const registry = await openRegistry(provider, args);
    const message = await body(args, registry);
    const result = await submit(provider, args, what, { to: registry.address, value, body: message });
    return { args, registry, ...result };
}
