/**
 * A registry view read once from the Registry contract's getters, for clients that follow no event stream (the CLI,
 * a short-lived script): what the attestation policy needs — test-network flag and the image allow-lists.
 */
import { Address } from '@ton/core';
import { Chain } from '../chain';
import { RegistryView } from '../tee';
import { Registry } from '../../../wrappers/Registry';

export async function registrySnapshot(chain: Chain, registry: Address): Promise<RegistryView> {
    const r = chain.open(Registry.fromAddress(registry));
    const [params, workerImages, proxyImages] = await Promise.all([
        r.getParams(),
        r.getWorkerImages(),
        r.getProxyImages(),
    ]);
    return {
        isTestNetwork: () => params.isTestNetwork,
        workerImageAllowed: (hash) => workerImages.get(hash) === true,
        proxyImageAllowed: (hash) => proxyImages.get(hash) === true,
    };
}
