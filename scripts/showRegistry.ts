import { NetworkProvider } from '@ton/blueprint';
import { fromNano } from '@ton/core';
import { modelKindFromCode } from '../worker-runtime/src/inference/kinds';
import { ScriptArgs } from './lib/args';
import { openRegistry, REGISTRY_ARG } from './lib/registry';

const hex = (v: bigint) => v.toString(16).padStart(64, '0');

/** `classifier (1)`; a code this runtime does not know is shown as it is. */
function kindName(code: bigint): string {
    try {
        return `${modelKindFromCode(code)} (${code})`;
    } catch {
        return `unknown code ${code}`;
    }
}

/** Prints the registry's whole state readably (--registry). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, REGISTRY_ARG, provider.ui());
    const registry = await openRegistry(provider, args);
    const ui = provider.ui();
    const gov = await registry.getGovernance();
    const p = await registry.getParams();
    const lines = [
        `Registry ${registry.address.toString()} (code revision ${await registry.getCodeRevision()}, version ${gov.version})`,
        `  owner          ${gov.owner.toString()}`,
        `  proposed owner ${gov.proposedOwner?.toString() ?? '-'}`,
        `  halter         ${gov.halter?.toString() ?? '-'}`,
        `  paused         ${gov.paused}`,
        `  pending upgrade ${gov.pendingUpgrade ? `code ${gov.pendingUpgrade.code.hash().toString('hex')} not before ${gov.pendingUpgrade.notBefore}` : '-'}`,
        `Params v${gov.paramsVersion}: network ${p.networkId}${p.isTestNetwork ? ' (test)' : ''}, treasury ${p.treasury.toString()}`,
        `  price/token ${p.pricePerToken} nanoTON, worker fee/token ${p.workerFeePerToken} nanoTON`,
        `  multipliers (bps) prompt ${p.promptMultiplierBps}, cached ${p.cachedMultiplierBps}, completion ${p.completionMultiplierBps}, reasoning ${p.reasoningMultiplierBps}`,
        `  min stakes: proxy ${fromNano(p.minProxyStake)}, client ${fromNano(p.minClientStake)}, worker ${fromNano(p.minWorkerStake)} TON`,
        `  delays (s): proxy close ${p.proxyCloseDelay}, client close ${p.clientCloseDelay}, worker unbonding ${p.workerUnbondingDelay}`,
        `  slash ${p.slashFractionBps} bps, reporter bounty ${p.reporterBountyBps} bps`,
        `Worker images:`,
        ...(await registry.getWorkerImages()).keys().map((k) => `  ${hex(k)}`),
        `Proxy images:`,
        ...(await registry.getProxyImages()).keys().map((k) => `  ${hex(k)}`),
        `Models:`,
        ...[...(await registry.getModels())].map(([k, m]) => `  ${hex(k)}  ${m.name} (kind ${kindName(m.kind)})`),
        `Proxies:`,
        ...[...(await registry.getProxies())].map(
            ([id, x]) => `  #${id} ${x.endpoint} key ${hex(x.publicKey)} contract ${x.proxyAddress.toString()}`,
        ),
        `Child code hashes:`,
        `  workerStake   ${(await registry.getWorkerStakeCode()).hash().toString('hex')}`,
        `  proxy         ${(await registry.getProxyCode())?.hash().toString('hex') ?? '-'}`,
        `  clientAccount ${(await registry.getClientAccountCode())?.hash().toString('hex') ?? '-'}`,
        `  workerAccount ${(await registry.getWorkerAccountCode())?.hash().toString('hex') ?? '-'}`,
    ];
    for (const line of lines) ui.write(line);
}
