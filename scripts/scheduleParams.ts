import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { parseParamOverrides } from './lib/params';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/**
 * ScheduleParams: the registry's current params with the fields given as --<field> value, applied by executeChange
 * once the timelock (UPGRADE_TIMELOCK) has passed. The stake terms (treasury, slashFractionBps, reporterBountyBps,
 * workerUnbondingDelay) change only this way: SetParams refuses them (ERR_PARAMS_TIMELOCKED).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const overrides = parseParamOverrides(args);
    if (Object.keys(overrides).length === 0)
        throw new Error('give at least one NetworkParams field as --<field> value');
    const params = { ...(await registry.getParams()), ...overrides };
    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'ScheduleParams', queryId: 0n, params });
    done(provider, `ScheduleParams sent: ${Object.keys(overrides).join(', ')}; run executeChange after the timelock`);
}
