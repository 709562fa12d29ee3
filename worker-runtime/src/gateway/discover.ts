/**
 * The proxies a gateway can use: the Registry's registered proxies (endpoint and Proxy contract, read from its
 * getter), kept where this wallet has an active ClientAccount, one SDK client each, in the registry's order.
 */
import { Address } from '@ton/core';
import { Chain } from '../chain';
import { ChrysalisClient, ClientWalletHandle } from '../client/client';
import type { PolicyOptions } from '../client/verify';
import { ClientState } from '../../../wrappers/ClientAccount';
import { Registry } from '../../../wrappers/Registry';

export interface DiscoveredProxy {
    id: number;
    endpoint: string;
    proxyAddress: Address;
    /** Why it is not used (no account, account closing, …); absent when a client was made. */
    skipped?: string;
    client?: ChrysalisClient;
}

export async function discoverProxies(args: {
    chain: Chain;
    registry: Address;
    wallet: ClientWalletHandle;
    attestationPolicy?: PolicyOptions;
    /** Accept registered http:// endpoints (test networks only; ChrysalisClientOptions.allowPlainHttp). */
    allowPlainHttp?: boolean;
}): Promise<DiscoveredProxy[]> {
    const proxies = await args.chain.open(Registry.fromAddress(args.registry)).getProxies();
    const found: DiscoveredProxy[] = [];
    for (const id of proxies.keys().sort((a, b) => a - b)) {
        const info = proxies.get(id)!;
        const entry: DiscoveredProxy = { id, endpoint: info.endpoint, proxyAddress: info.proxyAddress };
        found.push(entry);
        const client = await ChrysalisClient.connect({
            proxyUrl: info.endpoint,
            chain: args.chain,
            proxyAddress: info.proxyAddress,
            wallet: args.wallet,
            attestationPolicy: args.attestationPolicy,
            allowPlainHttp: args.allowPlainHttp,
        });
        const state = await args.chain.provider(client.account).getState();
        if (state.state.type !== 'active') {
            entry.skipped = 'no account (open one with `chrysalis client open`)';
            continue;
        }
        const data = await client.accountData();
        if (data.state !== ClientState.active) {
            entry.skipped = 'the account is not active';
            continue;
        }
        entry.client = client;
    }
    return found;
}
