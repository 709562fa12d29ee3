/** The TON networks a start or the client CLI can name, and where each is reached when no endpoint is configured. */

/** TON's two networks, and the devnet's TON API on this machine (`chrysalis devnet chain`). */
export const NETWORKS = ['testnet', 'mainnet', 'devnet'] as const;
export type NetworkName = (typeof NETWORKS)[number];

/** Where `chrysalis devnet chain` serves its TON API by default (the port of blueprint's default custom endpoint). */
export const DEVNET_API_PORT = 8081;
export const DEVNET_ENDPOINT = `http://127.0.0.1:${DEVNET_API_PORT}/jsonRPC`;

/** The endpoint used when none is configured: the public toncenter, or the devnet's default TON API. */
export function toncenterEndpoint(network: NetworkName): string {
    if (network === 'devnet') return DEVNET_ENDPOINT;
    return network === 'mainnet'
        ? 'https://toncenter.com/api/v2/jsonRPC'
        : 'https://testnet.toncenter.com/api/v2/jsonRPC';
}
