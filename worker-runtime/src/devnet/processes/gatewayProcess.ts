/**
 * The client side of `npm run devnet -- --processes` as an app developer runs it: a wallet of its own (fresh words,
 * funded by the faucet), its ClientAccount opened by `chrysalis client open`, and `chrysalis client serve` (the
 * OpenAI-compatible gateway) as a process of its own. The gateway's account is not the demo client's: two senders on
 * one account would each see the other's usage in their vouchers and refuse them (docs/client.md, "Verification"), so
 * the gateway is a party of its own in the devnet's ledger. It keeps its latest voucher in a file (`--voucher-file`),
 * so a gateway killed with SIGKILL and started again loses nothing it used.
 */
import { join } from 'node:path';
import { Address } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { walletContract } from '../../cli/networkConfig';
import { ChildProcessError, Children } from './children';
import { clientEnv, DevnetEndpoints } from './roleEnv';

/** The gateway's child process name (its log is `gateway.log`). */
export const GATEWAY = 'gateway';

export interface GatewayFunding {
    /** What the faucet gives the wallet, TON. */
    wallet: string;
    /** The account's stake and deposit (`client open --stake --deposit`), TON. */
    stake: string;
    deposit: string;
}

/** Enough for the run's streamed chat, embedding batch and transcription, with commits. */
export const RUN_FUNDING: GatewayFunding = { wallet: '20', stake: '1', deposit: '5' };
/** With --keep-running: thousands of requests through the gateway, as the in-process devnet's. */
export const KEEP_RUNNING_FUNDING: GatewayFunding = { wallet: '10000', stake: '1', deposit: '5000' };

export interface GatewayClient {
    /** CHRYSALIS_CLIENT_MNEMONIC of the gateway's wallet. */
    mnemonic: string;
    wallet: Address;
    /** The ClientAccount `client open` opened (as it printed it). */
    account: Address;
}

export interface GatewaySpec {
    children: Children;
    command: string;
    /** The CLI's arguments before `client …` (the node flags and bin/chrysalis.js). */
    cli: string[];
    env: Record<string, string>;
    endpoints: DevnetEndpoints;
    proxyUrl: string;
    proxyAddress: Address;
    readyMs: number;
}

/** A fresh wallet funded through the devnet's faucet, and its account opened by the client CLI. */
export async function openGatewayClient(
    spec: GatewaySpec,
    funding: GatewayFunding,
    fund: (address: Address, ton: string) => Promise<void>,
): Promise<GatewayClient> {
    const words = await mnemonicNew(24);
    const keys = await mnemonicToPrivateKey(words);
    const wallet = walletContract('v4', 'devnet', keys.publicKey).address;
    await fund(wallet, funding.wallet);
    const mnemonic = words.join(' ');
    const open = spec.children.start({
        name: 'client-open',
        command: spec.command,
        args: [...spec.cli, 'client', 'open', '--stake', funding.stake, '--deposit', funding.deposit],
        env: { ...spec.env, ...clientEnv(spec.endpoints, mnemonic, spec.proxyUrl, spec.proxyAddress) },
    });
    // `open` prints the account once it is active: "account <address>: active, balance …".
    const printed = open.waitForLine(/^account \S+: active/, spec.readyMs);
    const [line, code] = await Promise.all([printed, open.exited]);
    if (code !== 0) throw new ChildProcessError(`devnet: chrysalis client open exited (${code})`);
    return { mnemonic, wallet, account: Address.parse(/^account (\S+):/.exec(line)![1]) };
}

/**
 * Starts `chrysalis client serve` on `port` (0 = any free port) for the gateway's wallet; resolves with its base URL
 * once it serves (the line it prints: `gateway http://127.0.0.1:P/v1 …`).
 */
export async function startGateway(spec: GatewaySpec, client: GatewayClient, port: number): Promise<string> {
    const child = spec.children.start({
        name: GATEWAY,
        command: spec.command,
        args: [
            ...spec.cli,
            'client',
            'serve',
            `--port=${port}`,
            `--voucher-file=${join(spec.children.logDir, 'gateway-vouchers.json')}`,
        ],
        env: { ...spec.env, ...clientEnv(spec.endpoints, client.mnemonic, spec.proxyUrl, spec.proxyAddress) },
    });
    const line = await child.waitForLine(/^gateway http:\/\/\S+\/v1/, spec.readyMs);
    return /^gateway (\S+)/.exec(line)![1];
}

/** Stops the gateway as Ctrl-C would: it commits what its account used before it exits (serve's stop). */
export async function stopGateway(children: Children): Promise<void> {
    // Its last commit waits for the chain: a longer grace than a role's before SIGKILL would cut it short.
    const code = await children.stop(GATEWAY, 120_000);
    if (code !== undefined && code !== 0) throw new ChildProcessError(`devnet: the gateway exited (${code}) on stop`);
}
