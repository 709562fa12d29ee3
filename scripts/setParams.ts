import { NetworkProvider } from '@ton/blueprint';
import { storeSetParams } from '../wrappers/Registry';
import { ScriptArgsError } from './lib/args';
import { governanceMessage } from './lib/governance';
import { PARAM_ARGS, parseParamOverrides } from './lib/params';
import { messageBody } from './lib/send';

/**
 * SetParams: the registry's current params with the fields given as --<field> value (or --changes field=value,...;
 * asked for when none is given and a terminal is attached).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    let changed: string[] = [];
    const spec = {
        ...PARAM_ARGS,
        changes: { describe: 'Changes as field=value, comma separated (e.g. pricePerToken=1200)', optional: true },
    };
    await governanceMessage(provider, argv, spec, 'SetParams', async (args, registry) => {
        let overrides = parseParamOverrides(args);
        if (Object.keys(overrides).length === 0) {
            const answer = await args.string('changes');
            const pairs = answer.split(',').map((p) => p.split('=').map((s) => s.trim()) as [string, string]);
            overrides = parseParamOverrides(args, pairs);
            if (Object.keys(overrides).length === 0) throw new ScriptArgsError(`no NetworkParams field in: ${answer}`);
        }
        changed = Object.keys(overrides);
        const params = { ...(await registry.getParams()), ...overrides };
        return messageBody(storeSetParams, { $$type: 'SetParams', queryId: 0n, params });
    });
    provider.ui().write(`changed: ${changed.join(', ')}`);
}
