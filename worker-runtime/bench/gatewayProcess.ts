/**
 * The gateway in a process of its own for `npm run bench:gateway`, as an app's machine runs it: it reaches the chain
 * only through the devnet's TON API (TonChain), and the proxy over HTTP. Started by bench/gateway.ts with one JSON
 * argument; prints `gateway <url>` once it listens, and closes on SIGTERM.
 *
 *   tsx worker-runtime/bench/gatewayProcess.ts '{"endpoint": …, "proxyUrl": …, "proxyAddress": …, "secretKey": …}'
 */
import { Address } from '@ton/core';
import { keyPairFromSecretKey } from '@ton/crypto';
import { TonChain } from '../src/chain';
import { ChrysalisClient } from '../src/client';
import { walletContract, walletSender } from '../src/cli/networkConfig';
import { createGateway } from '../src/gateway';

export interface GatewayProcessConfig {
    /** The devnet's TON API (JSON-RPC endpoint). */
    endpoint: string;
    proxyUrl: string;
    proxyAddress: string;
    /** The client wallet's secret key (hex, 64 bytes; a v4 wallet). */
    secretKey: string;
}

async function main() {
    const config = JSON.parse(process.argv[2]) as GatewayProcessConfig;
    const chain = new TonChain({ network: 'devnet', endpoint: config.endpoint });
    const keyPair = keyPairFromSecretKey(Buffer.from(config.secretKey, 'hex'));
    const wallet = chain.open(walletContract('v4', 'devnet', keyPair.publicKey));
    const client = await ChrysalisClient.connect({
        proxyUrl: config.proxyUrl,
        chain,
        proxyAddress: Address.parse(config.proxyAddress),
        wallet: { address: wallet.address, sender: walletSender(chain, wallet, keyPair.secretKey), keyPair },
        attestationPolicy: { logger: { warn: () => undefined } },
    });
    const gateway = await createGateway({ clients: [client], port: 0 });
    process.stdout.write(`gateway ${gateway.url}\n`);
    await new Promise<void>((resolve) => process.once('SIGTERM', resolve));
    await gateway.close();
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
