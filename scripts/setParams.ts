import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { parseParamOverrides } from './lib/params';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** SetParams: the registry's current params with the fields given as --<field> value (or prompted: field=value,...). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    let overrides = parseParamOverrides(args);
    if (Object.keys(overrides).length === 0) {
        const answer = await provider.ui().input('Changes as field=value, comma separated (e.g. pricePerToken=1200)');
        const pairs = answer.split(',').map((p) => p.split('=').map((s) => s.trim()) as [string, string]);
        overrides = parseParamOverrides(args, pairs);
        if (Object.keys(overrides).length === 0) throw new Error(`no known NetworkParams field in: ${answer}`);
    }
    const params = { ...(await registry.getParams()), ...overrides };
    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'SetParams', queryId: 0n, params });
    done(provider, `SetParams sent: ${Object.keys(overrides).join(', ')}`);
}
