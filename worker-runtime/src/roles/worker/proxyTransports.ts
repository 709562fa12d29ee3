/**
 * How a worker reaches the proxies the registry lists (to ask for its payout voucher): through the same transport
 * clients use (client/transport.ts). An `https://` proxy over RA-TLS, its certificate's attestation checked against
 * the registry and its key pinned; a plain `http://` proxy only with the opt-in on a test network. One verifier per
 * listed proxy, kept for the worker's life, so the attestation is checked once and then only re-checked.
 */
import type { ProxyEntry, RegistryView } from '../../chain';
import { proxyTransport, ProxyTransport } from '../../client/transport';
import { RaTlsVerifier } from '../../ratls/peer';
import type { AttestationPolicy } from '../../tee';

export interface ProxyTransportsOptions {
    /** Plain `http://` proxies are asked too (CHRYSALIS_WORKER_PLAIN_HTTP); only where the registry is a test network. */
    plainHttp?: boolean;
    policy?: Omit<AttestationPolicy, 'registry' | 'role'>;
}

export type TransportFor = (proxy: ProxyEntry) => ProxyTransport;

/** A transport per listed proxy, verified against `view` (the worker's registry view). */
export function proxyTransports(view: RegistryView, o: ProxyTransportsOptions = {}): TransportFor {
    const made = new Map<string, ProxyTransport>();
    return (proxy) => {
        const id = `${proxy.proxyAddress}|${proxy.publicKey}|${proxy.endpoint}`;
        let transport = made.get(id);
        if (!transport) {
            const verifier = new RaTlsVerifier({
                proxyKey: Buffer.from(proxy.publicKey, 'hex'),
                // The key must still be listed for this Proxy contract when the attestation is (re-)checked.
                registry: async () => ({
                    view,
                    registered: view
                        .proxies()
                        .some((p) => p.publicKey === proxy.publicKey && p.proxyAddress === proxy.proxyAddress),
                }),
                policy: o.policy,
            });
            transport = proxyTransport(proxy.endpoint, {
                verifier,
                plainHttp: o.plainHttp === true && view.isTestNetwork(),
            });
            made.set(id, transport);
        }
        return transport;
    };
}
