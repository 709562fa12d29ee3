/**
 * `npx chrysalis client <command>`: the client SDK from the command line (configuration from the environment, see
 * docs/client.md).
 *
 *   wallet                                  the client wallet's address (to fund), whether deployed, its balance
 *   account                                 the ClientAccount's address, state, balance, stake, charged units
 *   open --stake <TON> [--deposit <TON>]    open the ClientAccount at the proxy
 *   top-up <TON> | withdraw <TON>           move TON into / out of the balance (never the stake)
 *   models                                  what the proxy serves
 *   verify-proxy                            check the proxy's attestation against the registry and its contract key
 *   infer --model <hash> --input <file.json> [--json]   one signed request; prints outputs, receipt, tokens
 *   commit                                  commit the latest charge voucher (kept in --voucher-file) on chain
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Address, fromNano, toNano } from '@ton/core';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { Chain, TonChain } from '../chain';
import { pccsPolicy } from '../tee';
import { ChrysalisClient, ClientWalletHandle, ProxyError, readClientConfig, registrySnapshot } from '../client';
import type { ClientConfig } from '../client';
import { ClientState } from '../../../wrappers/ClientAccount';
import { describeWallet, paymentAddress, toncenterEndpoint, walletContract } from './networkConfig';

const USAGE = `usage: chrysalis client <command> [options]
  wallet
  account
  open --stake <TON> [--deposit <TON>]
  top-up <TON>
  withdraw <TON>
  models
  verify-proxy
  infer --model <hash> --input <inputs.json> [--json] [--voucher-file <path>]
  commit [--voucher-file <path>]
environment: CHRYSALIS_PROXY_URL, CHRYSALIS_PROXY_ADDRESS, CHRYSALIS_CLIENT_MNEMONIC, CHRYSALIS_CLIENT_WALLET_VERSION,
  CHRYSALIS_NETWORK, CHRYSALIS_TON_ENDPOINT, CHRYSALIS_TON_API_KEY, CHRYSALIS_REGISTRY (see docs/client.md)
`;

/** What a command runs against; the CLI builds it from the environment, specs inject a sandbox one. */
export interface ClientCliContext {
    config: Pick<ClientConfig, 'proxyUrl' | 'proxyAddress' | 'registryAddress'> &
        Partial<Pick<ClientConfig, 'pccsUrl' | 'pccsApiKey'>>;
    chain: Chain;
    wallet: ClientWalletHandle;
    out?: (line: string) => void;
}

const DEFAULT_VOUCHER_FILE = '.chrysalis-voucher.json';

class UsageError extends Error {}

function ton(value: string | undefined, what: string): bigint {
    if (!value || !/^\d+(\.\d{1,9})?$/.test(value)) throw new UsageError(`${what} must be an amount of TON, e.g. 1.5`);
    return toNano(value);
}

/** The context of the environment's configuration: a TonChain and the client wallet (v4 or W5). No network call. */
export async function contextFromEnv(env: Record<string, string | undefined> = process.env): Promise<ClientCliContext> {
    const config = readClientConfig(env);
    const endpoint = config.endpoint || toncenterEndpoint(config.network);
    const chain = new TonChain({ network: config.network, endpoint, apiKey: config.apiKey || undefined });
    const words = config.mnemonic.trim().split(/\s+/);
    if (words.length !== 24) throw new UsageError('CHRYSALIS_CLIENT_MNEMONIC must be 24 words');
    const keyPair = await mnemonicToPrivateKey(words);
    const wallet = chain.open(walletContract(config.walletVersion, config.network, keyPair.publicKey));
    return { config, chain, wallet: { address: wallet.address, sender: wallet.sender(keyPair.secretKey), keyPair } };
}

export async function runWith(argv: string[], ctx: ClientCliContext): Promise<number> {
    const out = ctx.out ?? ((line: string) => process.stdout.write(line + '\n'));
    const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
            stake: { type: 'string' },
            deposit: { type: 'string' },
            model: { type: 'string' },
            input: { type: 'string' },
            json: { type: 'boolean', default: false },
            'voucher-file': { type: 'string', default: DEFAULT_VOUCHER_FILE },
        },
    });
    const [command, arg] = positionals;
    if (command === 'wallet') {
        // Before the proxy is contacted: funding the wallet comes first.
        const w = await describeWallet(ctx.chain, ctx.wallet.address);
        out(`wallet ${w.wallet}: ${w.deployed ? 'deployed' : 'not deployed yet'}, balance ${w.balance}`);
        return 0;
    }
    let proxyAddress: Address;
    try {
        proxyAddress = Address.parse(ctx.config.proxyAddress);
    } catch {
        throw new UsageError(`CHRYSALIS_PROXY_ADDRESS is not an address: "${ctx.config.proxyAddress}"`);
    }
    const client = await ChrysalisClient.connect({
        proxyUrl: ctx.config.proxyUrl,
        chain: ctx.chain,
        proxyAddress,
        wallet: ctx.wallet,
        attestationPolicy: pccsPolicy(ctx.config.pccsUrl ?? '', ctx.config.pccsApiKey),
    });
    const voucherFile = values['voucher-file']!;
    const showAccount = async () => {
        const deployed = (await ctx.chain.provider(client.account).getState()).state.type === 'active';
        const account = paymentAddress(client.account, ctx.chain.network, deployed);
        if (!deployed) return out(`account ${account}: not opened yet`);
        const d = await client.accountData();
        const state = Object.entries(ClientState).find(([, v]) => v === d.state)?.[0] ?? String(d.state);
        out(
            `account ${account}: ${state}, balance ${fromNano(d.balance)} TON, stake ` +
                `${fromNano(d.stake)} TON, charged ${d.charged} units at ${fromNano(d.price)} TON`,
        );
    };
    switch (command) {
        case 'account':
            await showAccount();
            return 0;
        case 'open':
            await client.openAccount(
                ton(values.stake, '--stake'),
                values.deposit ? ton(values.deposit, '--deposit') : 0n,
            );
            await showAccount();
            return 0;
        case 'top-up':
            await client.topUp(ton(arg, 'the amount'));
            await showAccount();
            return 0;
        case 'withdraw':
            await client.withdraw(ton(arg, 'the amount'));
            await showAccount();
            return 0;
        case 'models':
            for (const m of await client.models()) out(`${m.hash}  ${m.name} (${m.kind})`);
            return 0;
        case 'verify-proxy': {
            if (!ctx.config.registryAddress) throw new UsageError('set CHRYSALIS_REGISTRY to check attestations');
            await client.verifyProxy(await registrySnapshot(ctx.chain, Address.parse(ctx.config.registryAddress)));
            out('proxy attestation: valid (allowed image, key of the Proxy contract, fresh nonce)');
            return 0;
        }
        case 'infer': {
            if (!values.model || !values.input) throw new UsageError('infer needs --model <hash> and --input <file>');
            let inputs: Record<string, unknown>;
            try {
                inputs = JSON.parse(await readFile(values.input, 'utf8'));
            } catch (err) {
                throw new UsageError(`cannot read ${values.input} as JSON: ${(err as Error).message}`);
            }
            const res = await client.infer(values.model, inputs);
            await writeFile(voucherFile, JSON.stringify(res.voucher));
            // NaN and ±Infinity are printed by name (JSON would print null); `encodedOutputs` holds the exact bytes.
            const named = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
            if (values.json) out(JSON.stringify(res, named));
            else {
                out(`outputs: ${JSON.stringify(res.outputs, named)}`);
                out(`tokens: ${res.tokens}; cumulative units: ${res.voucher.cumulative}`);
                out(`receipt: verified, signed by worker ${res.workerKey}`);
            }
            return 0;
        }
        case 'commit': {
            let voucher;
            try {
                voucher = JSON.parse(await readFile(voucherFile, 'utf8'));
            } catch {
                throw new UsageError(`no voucher in ${voucherFile}: run infer first`);
            }
            client.latestVoucher = voucher;
            const d = await client.commitVoucher();
            out(`committed: charged ${d?.charged} units`);
            return 0;
        }
        default:
            throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    }
}

export async function run(argv: string[], ctx?: ClientCliContext): Promise<number> {
    try {
        return await runWith(argv, ctx ?? (await contextFromEnv()));
    } catch (err) {
        if (err instanceof UsageError || (err as Error).name === 'ConfigError') {
            process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
            return 2;
        }
        if (err instanceof ProxyError) {
            process.stderr.write(`the proxy refused: ${err.message}\n`);
            return 1;
        }
        throw err;
    }
}
