import { NetworkProvider } from '@ton/blueprint';
import { storeScheduleParams } from '../wrappers/Registry';
import { ScriptArgsError } from './lib/args';
import { governanceMessage } from './lib/governance';
import { PARAM_ARGS, parseParamOverrides } from './lib/params';
import { messageBody } from './lib/send';

/**
 * ScheduleParams: the registry's current params with the fields given as --<field> value, applied by executeChange
 * once the timelock (UPGRADE_TIMELOCK) has passed. The stake terms (treasury, slashFractionBps, reporterBountyBps,
 * workerUnbondingDelay) change only this way: SetParams refuses them (ERR_PARAMS_TIMELOCKED).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    let changed: string[] = [];
    await governanceMessage(provider, argv, PARAM_ARGS, 'ScheduleParams', async (args, registry) => {
        const overrides = parseParamOverrides(args);
        if (Object.keys(overrides).length === 0) {
            throw new ScriptArgsError('give at least one NetworkParams field as --<field> value');
        }
        changed = Object.keys(overrides);
        const params = { ...(await registry.getParams()), ...overrides };
        return messageBody(storeScheduleParams, { $$type: 'ScheduleParams', queryId: 0n, params });
    });
    provider.ui().write(`scheduled: ${changed.join(', ')}; executeChange after the timelock`);
}
