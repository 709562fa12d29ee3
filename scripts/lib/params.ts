import { Address } from '@ton/core';
import { NetworkParams } from '../../wrappers/Registry';
import { ArgSpec, parseBigint, ScriptArgs, ScriptArgsError } from './args';

const PARAM_KEYS = [
    'networkId',
    'isTestNetwork',
    'pricePerToken',
    'workerFeePerToken',
    'promptMultiplierBps',
    'cachedMultiplierBps',
    'completionMultiplierBps',
    'reasoningMultiplierBps',
    'minProxyStake',
    'minClientStake',
    'minWorkerStake',
    'proxyCloseDelay',
    'clientCloseDelay',
    'workerUnbondingDelay',
    'slashFractionBps',
    'reporterBountyBps',
    'treasury',
] as const;

type ParamKey = (typeof PARAM_KEYS)[number];

/** Every NetworkParams field as an optional `--<field> value` argument (deployRegistry, setParams). */
export const PARAM_ARGS: ArgSpec = Object.fromEntries(
    PARAM_KEYS.map((k) => [
        k,
        {
            optional: true,
            describe:
                k === 'treasury'
                    ? 'treasury address'
                    : k === 'isTestNetwork'
                      ? 'true|false'
                      : 'integer (nanoTON, seconds or bps)',
        },
    ]),
);

/** `--pricePerToken 1000 --treasury EQ...` -> the NetworkParams fields they name (nanoTON, seconds, bps as integers). */
export function parseParamOverrides(args: ScriptArgs, extra: [string, string][] = []): Partial<NetworkParams> {
    const out: Partial<Record<ParamKey, unknown>> = {};
    for (const [name, value] of [...args.pick(PARAM_KEYS), ...extra]) {
        if (!isParamKey(name))
            throw new ScriptArgsError(`${name} is not a NetworkParams field (${PARAM_KEYS.join(', ')})`);
        if (name === 'treasury') {
            try {
                out[name] = Address.parse(value);
            } catch {
                throw new ScriptArgsError(`--treasury: not a TON address: ${value}`);
            }
        } else if (name === 'isTestNetwork') {
            if (value !== 'true' && value !== 'false')
                throw new ScriptArgsError(`--isTestNetwork: true or false, got ${value}`);
            out[name] = value === 'true';
        } else out[name] = parseBigint(name, value);
    }
    return out as Partial<NetworkParams>;
}

export function isParamKey(name: string): name is ParamKey {
    return (PARAM_KEYS as readonly string[]).includes(name);
}
