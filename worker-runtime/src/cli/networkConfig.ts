/**
 * The chain and wallet part of `chrysalis worker start` / `chrysalis proxy start`: which TON network, through which
 * endpoint, and the operator's wallet (it pays gas and bonds). `connectNetwork` is the only place that builds a real
 * TON client from it; the rest of a start takes any {@link Chain} and {@link Wallet}, so specs run it on the sandbox.
 */
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { mnemonicToPrivateKey, mnemonicWordList } from '@ton/crypto';
import type { Address, Cell, OpenedContract, Sender, SenderArguments } from '@ton/core';
import type { WalletContractV4, WalletContractV5R1 } from '@ton/ton';
import type { Chain, Wallet } from '../chain';
import { ed25519Sign } from '../crypto/ed25519';
import { ConfigOf, enumSetting, Setting, stringSetting } from '../config/schema';
import { DEVNET_ENDPOINT, NetworkName, NETWORKS, toncenterEndpoint } from '../config/networks';

export { toncenterEndpoint };

const WORDS = new Set(mnemonicWordList);

/**
 * True when `words` is a TON wallet mnemonic (what @ton/crypto's async `mnemonicValidate` accepts, without a
 * password): checked synchronously so that a bad mnemonic is reported with every other bad variable, in one error.
 */
export function isTonMnemonic(words: string[]): boolean {
    if (!words.every((w) => WORDS.has(w))) return false;
    // tonlib's Mnemonic::is_basic_seed: PBKDF2-SHA512(HMAC-SHA512(words, ''), 'TON seed version', 100000 / 256)[0] == 0
    const entropy = createHmac('sha512', words.join(' ')).update('').digest();
    return pbkdf2Sync(entropy, 'TON seed version', Math.floor(100_000 / 256), 64, 'sha512')[0] === 0;
}

/** The words of a mnemonic as the wallet apps write them (any spacing, any case). */
export function mnemonicWords(raw: string): string[] {
    return raw.trim().toLowerCase().split(/\s+/);
}

/** A 24-word TON mnemonic. Problems name word positions, never words: the value is the operator's secret. */
function mnemonicSetting(env: string, description: string): Setting<string> {
    return {
        env,
        description,
        parse(raw) {
            const words = mnemonicWords(raw);
            if (words.length !== 24) throw new Error(`expected 24 words, got ${words.length}`);
            const unknown = words.flatMap((w, i) => (WORDS.has(w) ? [] : [i + 1]));
            if (unknown.length) throw new Error(`word(s) #${unknown.join(', #')} are not in the TON word list`);
            if (!isTonMnemonic(words)) throw new Error('the words do not form a TON wallet mnemonic (checksum)');
            return words.join(' ');
        },
    };
}

function urlSetting(env: string, description: string, def: string): Setting<string> {
    return {
        env,
        description,
        default: def,
        parse(raw) {
            if (!/^https?:\/\/[^\s/]+/.test(raw)) throw new Error(`expected an http(s) URL, got "${raw}"`);
            return raw;
        },
    };
}

export const NETWORK_SCHEMA = {
    network: enumSetting(
        'CHRYSALIS_NETWORK',
        'TON network; devnet = the TON API that `chrysalis devnet chain` prints',
        NETWORKS,
        'testnet',
    ),
    endpoint: urlSetting(
        'CHRYSALIS_TON_ENDPOINT',
        `toncenter-compatible JSON-RPC endpoint (empty = the public toncenter of the network; on devnet ${DEVNET_ENDPOINT})`,
        '',
    ),
    apiKey: stringSetting(
        'CHRYSALIS_TON_API_KEY',
        'API key of the endpoint (toncenter allows 1 request/s without)',
        '',
    ),
    mnemonic: mnemonicSetting(
        'CHRYSALIS_WALLET_MNEMONIC',
        "the operator wallet's 24 words: it pays gas, bonds and commitments (never logged)",
    ),
    walletVersion: enumSetting(
        'CHRYSALIS_WALLET_VERSION',
        'contract of that wallet (its address is printed at start)',
        ['v4', 'v5r1'] as const,
        'v4',
    ),
};

export type NetworkConfig = ConfigOf<typeof NETWORK_SCHEMA>;

export interface Connection {
    chain: Chain;
    wallet: Wallet;
}

/** The network-specific part of a start: a TonChain and the operator's wallet from its mnemonic. */
export async function connectNetwork(config: NetworkConfig): Promise<Connection> {
    // Loaded here, not at the top: `--help` and configuration errors need only the schema above, and these take
    // seconds to load.
    const { TonChain } = require('../chain') as typeof import('../chain');
    const chain = new TonChain({
        network: config.network,
        endpoint: config.endpoint || toncenterEndpoint(config.network),
        apiKey: config.apiKey || undefined,
    });
    const keyPair = await mnemonicToPrivateKey(mnemonicWords(config.mnemonic));
    const wallet = chain.open(walletContract(config.walletVersion, config.network, keyPair.publicKey));
    return { chain, wallet: { address: wallet.address, sender: walletSender(chain, wallet, keyPair.secretKey) } };
}

/** How long a signed transfer stays valid, as the wallet libraries make it. */
const TRANSFER_VALIDITY_S = 60;

/**
 * A wallet's sender, as `@ton/ton`'s own but with the transfer's expiry taken from the chain's time instead of this
 * machine's: on the devnet the chain's clock can be ahead of the wall clock (`--time-scale`, `chrysalis devnet
 * advance`), and a wallet refuses a transfer whose expiry it has passed. Elsewhere the chain's time is the wall clock.
 */
export function walletSender(
    chain: Chain,
    wallet: OpenedContract<WalletContractV4> | OpenedContract<WalletContractV5R1>,
    secretKey: Buffer,
): Sender {
    const { internal, SendMode } = require('@ton/core') as typeof import('@ton/core');
    return {
        address: wallet.address,
        async send(args: SenderArguments) {
            const seqno = await wallet.getSeqno();
            const timeout = (await chain.now()) + TRANSFER_VALIDITY_S;
            const message = internal({
                to: args.to,
                value: args.value,
                extracurrency: args.extracurrency,
                init: args.init,
                body: args.body,
                bounce: args.bounce,
            });
            const sendMode = args.sendMode ?? SendMode.PAY_GAS_SEPARATELY + SendMode.IGNORE_ERRORS;
            // Signed through node:crypto (crypto/ed25519.ts), not @ton/crypto's tweetnacl (milliseconds per signature;
            // the proxy commits its state every few hundred requests): the same signature, Ed25519 is deterministic.
            // Both wallets take the same transfer arguments.
            const transfer = await (wallet as OpenedContract<WalletContractV4>).createTransfer({
                seqno,
                signer: async (cell: Cell) => ed25519Sign(cell.hash(), secretKey),
                timeout,
                sendMode,
                messages: [message],
            });
            await wallet.send(transfer);
        },
    };
}

/**
 * An address as a wallet app should be given it to pay: with the test-network flag off mainnet, and non-bounceable
 * while the account is not deployed (a bounceable transfer to an undeployed wallet comes back).
 */
export function paymentAddress(address: Address, network: Chain['network'], deployed: boolean): string {
    return address.toString({ testOnly: network !== 'mainnet', bounceable: deployed, urlSafe: true });
}

/** The operator wallet as the start log shows it: the address to fund, whether it is deployed, its balance. */
export async function describeWallet(
    chain: Chain,
    address: Address,
): Promise<{ wallet: string; deployed: boolean; balance: string }> {
    const state = await chain.provider(address).getState();
    const deployed = state.state.type === 'active';
    const { fromNano } = require('@ton/core') as typeof import('@ton/core');
    return {
        wallet: paymentAddress(address, chain.network, deployed),
        deployed,
        balance: `${fromNano(state.balance)} TON`,
    };
}

/**
 * The wallet contract of a key, as the wallet apps make it: v4, or W5 (v5r1) with the network's id. The devnet is a
 * test network (-3), as blueprint's `--custom-type testnet` makes it, so both derive the same W5 address.
 */
export function walletContract(version: 'v4' | 'v5r1', network: NetworkName, publicKey: Buffer) {
    const { WalletContractV4, WalletContractV5R1 } = require('@ton/ton') as typeof import('@ton/ton');
    return version === 'v5r1'
        ? WalletContractV5R1.create({ publicKey, walletId: { networkGlobalId: network === 'mainnet' ? -239 : -3 } })
        : WalletContractV4.create({ workchain: 0, publicKey });
}
