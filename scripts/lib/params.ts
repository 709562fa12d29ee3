import { NetworkParams } from '../../wrappers/Registry';
import { ScriptArgs, parseBigint } from './args';
import { Address } from '@ton/core';

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

/** `--pricePerToken 1000 --treasury EQ...` -> the NetworkParams fields they name (nanoTON, seconds, bps as integers). */
export function parseParamOverrides(args: ScriptArgs, extra: [string, string][] = []): Partial<NetworkParams> {
    const out: Partial<Record<ParamKey, unknown>> = {};
    for (const [name, value] of [...args.entries(), ...extra]) {
        if (!(PARAM_KEYS as readonly string[]).includes(name)) continue;
        const key = name as ParamKey;
        if (key === 'treasury') out[key] = Address.parse(value);
        else if (key === 'isTestNetwork') out[key] = value === 'true';
        else out[key] = parseBigint(name, value);
    }
    return out as Partial<NetworkParams>;
}

export function isParamKey(name: string): boolean {
    return (PARAM_KEYS as readonly string[]).includes(name);
}
