/**
 * The CLI client's configuration (`npx chrysalis client ...`): one validated object from the environment, with
 * defaults and descriptions (docs/client.md's table is `describeSchema(CLIENT_SCHEMA)`).
 */
import { boolSetting, ConfigOf, enumSetting, readConfig, stringSetting } from '../config/schema';
import { DEVNET_ENDPOINT, NETWORKS } from '../config/networks';

export const CLIENT_SCHEMA = {
    proxyUrl: stringSetting(
        'CHRYSALIS_PROXY_URL',
        'base URL of the proxy API: https:// (RA-TLS, the attested and pinned key) or, with CHRYSALIS_CLIENT_PLAIN_HTTP ' +
            'on a test network, http://',
        'https://127.0.0.1:8080',
    ),
    plainHttp: boolSetting(
        'CHRYSALIS_CLIENT_PLAIN_HTTP',
        'accept plain http:// proxies (no RA-TLS: requests and answers travel in clear); only takes effect where the ' +
            'registry marks a test network',
        false,
    ),
    proxyAddress: stringSetting(
        'CHRYSALIS_PROXY_ADDRESS',
        'address of the Proxy contract the account is opened at (every command but `serve` needs it)',
        '',
    ),
    registryAddress: stringSetting(
        'CHRYSALIS_REGISTRY',
        'address of the Registry: `serve` uses its registered proxies where the wallet has an account; `verify-proxy` ' +
            'checks the attestation against its allow-lists',
        '',
    ),
    network: enumSetting(
        'CHRYSALIS_NETWORK',
        'TON network; devnet = the TON API that `chrysalis devnet chain` prints',
        NETWORKS,
        'testnet',
    ),
    endpoint: stringSetting(
        'CHRYSALIS_TON_ENDPOINT',
        `toncenter-compatible JSON-RPC endpoint (empty = the public toncenter of the network; on devnet ${DEVNET_ENDPOINT})`,
        '',
    ),
    apiKey: stringSetting('CHRYSALIS_TON_API_KEY', 'API key of the endpoint', ''),
    pccsUrl: stringSetting(
        'CHRYSALIS_PCCS_URL',
        "PCCS or Intel PCS base URL: TCB info, QE identity and CRLs for the proxy's TDX quote (empty = none, and then " +
            '`verify-proxy` refuses a TDX proxy: its TCB status is Unknown)',
        '',
    ),
    pccsApiKey: stringSetting('CHRYSALIS_PCCS_API_KEY', 'Intel PCS subscription key (empty = none)', ''),
    gatewayApiKey: stringSetting(
        'CHRYSALIS_GATEWAY_API_KEY',
        '`serve`: when set, callers must send `Authorization: Bearer <key>` (empty = no key)',
        '',
    ),
    mnemonic: stringSetting('CHRYSALIS_CLIENT_MNEMONIC', "the client wallet's 24 words (it signs requests)"),
    walletVersion: enumSetting(
        'CHRYSALIS_CLIENT_WALLET_VERSION',
        'contract of that wallet (`chrysalis client wallet` prints its address)',
        ['v4', 'v5r1'] as const,
        'v4',
    ),
};

export type ClientConfig = ConfigOf<typeof CLIENT_SCHEMA>;

export function readClientConfig(
    env: Record<string, string | undefined> = process.env,
    overrides: Partial<ClientConfig> = {},
): ClientConfig {
    return readConfig(CLIENT_SCHEMA, env, overrides);
}
