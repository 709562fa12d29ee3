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
 *   infer --model <hash> --input <file.json> [--json] [--receipt-file <path>]   one signed request; prints outputs,
 *                                           receipt, tokens; the receipt is accepted only from a staked, attested
 *                                           worker key, and kept in the receipt file for offline checks
 *   infer --inputs <file.jsonl> [--model <hash>] [--concurrency N] [--recover-for <s>] [--json] [--receipt-dir <dir>]
 *                                           many requests, one a line, N in flight; a line (JSON with --json) per
 *                                           answer or failure, receipts kept as <dir>/<request id>.json (inferBatch.ts)
 *   snapshot --out <file> [--worker <key>]...   save the registry's allow-lists and these workers' stakes
 *   verify-receipt <file> --snapshot <file> check a kept receipt offline against a saved registry snapshot
 *   receipt <request id>                    the proxy's record of one of this account's requests (signed query)
 *   commit                                  commit the latest charge voucher (kept in --voucher-file) on chain
 *   status                                  the account at every registered proxy (with CHRYSALIS_REGISTRY)
 *   serve [--host H] [--port P] [--voucher-file <path>]   the OpenAI-compatible gateway (default 127.0.0.1:10000);
 *                                           with a voucher file it keeps its latest voucher there and resumes from it
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Address, fromNano, toNano } from '@ton/core';
import { mnemonicToPrivateKey } from '@ton/crypto';
import { Chain, TonChain } from '../chain';
import { pccsPolicy } from '../tee';
import {
    ChrysalisClient,
    ClientWalletHandle,
    ProxyError,
    readClientConfig,
    ReceiptError,
    registrySnapshot,
} from '../client';
import type { ClientConfig } from '../client';
import { createGateway, discoverProxies, Gateway } from '../gateway';
import { keepVouchers, VoucherFileError } from '../gateway/voucherFile';
import { ClientState } from '../../../wrappers/ClientAccount';
import { toWireMap } from '../inference/codec';
import { checkReceiptBundle, ReceiptBundle } from '../client/receiptFile';
import { SavedRegistrySnapshot, saveRegistrySnapshot } from '../client/registrySnapshot';
import { BatchInputError, inferBatch, readBatch } from './inferBatch';
import { describeWallet, paymentAddress, toncenterEndpoint, walletContract, walletSender } from './networkConfig';

const USAGE = `usage: chrysalis client <command> [options]
  wallet
  account
  open --stake <TON> [--deposit <TON>]
  top-up <TON>
  withdraw <TON>
  models
  verify-proxy
  infer --model <hash> --input <inputs.json> [--json] [--voucher-file <path>] [--receipt-file <path>]
  infer --inputs <requests.jsonl> [--model <hash>] [--concurrency <n>] [--recover-for <seconds>] [--json]
        [--voucher-file <path>] [--receipt-dir <dir>]
  snapshot --out <file> [--worker <key>]...
  verify-receipt <receipt.json> --snapshot <snapshot.json>
  receipt <request id>
  commit [--voucher-file <path>]
  status
  serve [--host <address>] [--port <port>] [--voucher-file <path>]
environment: CHRYSALIS_PROXY_URL, CHRYSALIS_PROXY_ADDRESS, CHRYSALIS_CLIENT_MNEMONIC, CHRYSALIS_CLIENT_WALLET_VERSION,
  CHRYSALIS_NETWORK, CHRYSALIS_TON_ENDPOINT, CHRYSALIS_TON_API_KEY, CHRYSALIS_REGISTRY, CHRYSALIS_GATEWAY_API_KEY,
  CHRYSALIS_CLIENT_PLAIN_HTTP (see docs/client.md)
`;

/** What a command runs against; the CLI builds it from the environment, specs inject a sandbox one. */
export interface ClientCliContext {
    config: Pick<ClientConfig, 'proxyUrl' | 'proxyAddress' | 'registryAddress'> &
        Partial<Pick<ClientConfig, 'pccsUrl' | 'pccsApiKey' | 'gatewayApiKey' | 'plainHttp'>>;
    /** `serve` resolves with the running gateway instead of waiting for a signal (specs). */
    onGateway?: (gateway: Gateway) => void;
    chain: Chain;
    wallet: ClientWalletHandle;
    out?: (line: string) => void;
}

const DEFAULT_VOUCHER_FILE = '.chrysalis-voucher.json';
const DEFAULT_RECEIPT_FILE = '.chrysalis-receipt.json';
const DEFAULT_RECEIPT_DIR = '.chrysalis-receipts';

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
    return {
        config,
        chain,
        wallet: { address: wallet.address, sender: walletSender(chain, wallet, keyPair.secretKey), keyPair },
    };
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
            inputs: { type: 'string' },
            concurrency: { type: 'string', default: '4' },
            'recover-for': { type: 'string', default: '0' },
            json: { type: 'boolean', default: false },
            // No default here: `serve` keeps vouchers only when given a file; the other commands default it below.
            'voucher-file': { type: 'string' },
            // No default here: --inputs keeps receipts in --receipt-dir and refuses this one.
            'receipt-file': { type: 'string' },
            'receipt-dir': { type: 'string', default: DEFAULT_RECEIPT_DIR },
            out: { type: 'string' },
            worker: { type: 'string', multiple: true, default: [] },
            snapshot: { type: 'string' },
            host: { type: 'string', default: '127.0.0.1' },
            port: { type: 'string', default: '10000' },
        },
    });
    const [command, arg] = positionals;
    // Offline: no proxy, no chain.
    if (command === 'verify-receipt') return verifyReceiptFile(arg, values.snapshot, ctx, out);
    if (command === 'wallet') {
        // Before the proxy is contacted: funding the wallet comes first.
        const w = await describeWallet(ctx.chain, ctx.wallet.address);
        out(`wallet ${w.wallet}: ${w.deployed ? 'deployed' : 'not deployed yet'}, balance ${w.balance}`);
        return 0;
    }
    const policy = pccsPolicy(ctx.config.pccsUrl ?? '', ctx.config.pccsApiKey);
    if (command === 'serve' || (command === 'status' && ctx.config.registryAddress)) {
        const clients = await gatewayClients(ctx, policy, out);
        if (command === 'status') return 0;
        const port = Number(values.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number');
        const kept = values['voucher-file'];
        if (kept) {
            const { resumed, afterLoss } = await keepVouchers(clients, kept);
            const lost = afterLoss ? `, ${afterLoss} with requests lost in flight` : '';
            out(`vouchers kept in ${kept}${resumed ? ` (resumed ${resumed} account(s) from it${lost})` : ''}`);
        }
        const gateway = await createGateway({
            clients,
            host: values.host,
            port,
            apiKey: ctx.config.gatewayApiKey || undefined,
        });
        out(`gateway ${gateway.url} (${clients.length} prox${clients.length === 1 ? 'y' : 'ies'}); Ctrl-C stops`);
        if (ctx.onGateway) {
            ctx.onGateway(gateway);
            return 0;
        }
        await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
        });
        await gateway.close();
        // A restarted gateway holds each session's first voucher to the chain's charged count (docs/client.md):
        // what this one used is settled before it leaves.
        for (const c of clients) {
            await c.commitVoucher().catch((err) => out(`commit at ${c.proxyUrl} failed: ${(err as Error).message}`));
        }
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
        attestationPolicy: policy,
        allowPlainHttp: ctx.config.plainHttp,
    });
    const voucherFile = values['voucher-file'] ?? DEFAULT_VOUCHER_FILE;
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
        case 'status':
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
            if (values.inputs) {
                if (values.input) throw new UsageError('infer takes --input <file.json> or --inputs <file.jsonl>');
                if (values['receipt-file']) {
                    throw new UsageError(
                        '--receipt-file keeps one receipt: with --inputs, receipts go to --receipt-dir',
                    );
                }
                const concurrency = Number(values.concurrency);
                if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
                    throw new UsageError('--concurrency must be a whole number from 1 to 256');
                }
                if (!/^\d+(\.\d+)?$/.test(values['recover-for']!)) {
                    throw new UsageError('--recover-for must be a number of seconds, e.g. 60');
                }
                return inferBatch(
                    client,
                    {
                        requests: readBatch(values.inputs, values.model),
                        concurrency,
                        recoverForMs: Number(values['recover-for']) * 1000,
                        json: values.json!,
                        voucherFile,
                        receiptDir: values['receipt-dir']!,
                    },
                    out,
                );
            }
            if (!values.model || !values.input) throw new UsageError('infer needs --model <hash> and --input <file>');
            let inputs: Record<string, unknown>;
            try {
                inputs = JSON.parse(await readFile(values.input, 'utf8'));
            } catch (err) {
                throw new UsageError(`cannot read ${values.input} as JSON: ${(err as Error).message}`);
            }
            // The kept voucher is where this session's vouchers are checked from (the proxy's count goes on).
            const kept = await readFile(voucherFile, 'utf8').then(
                (t) => JSON.parse(t),
                () => null,
            );
            if (kept) client.resumeFrom(kept);
            const res = await client.infer(values.model, inputs);
            await writeFile(voucherFile, JSON.stringify(res.voucher));
            const announcement = await client.workerAnnouncement(res.workerKey);
            // The receipt hashes the wire form: keep the inputs and outputs exactly as they went over the wire.
            const bundle: ReceiptBundle = {
                request: { requestId: res.requestId, model: values.model.toLowerCase(), inputs: toWireMap(inputs) },
                outputs: res.encodedOutputs,
                receipt: res.receipt,
                announcement,
            };
            await writeFile(values['receipt-file'] ?? DEFAULT_RECEIPT_FILE, JSON.stringify(bundle));
            // NaN and ±Infinity are printed by name (JSON would print null); `encodedOutputs` holds the exact bytes.
            const named = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
            if (values.json) out(JSON.stringify(res, named));
            else {
                out(`outputs: ${JSON.stringify(res.outputs, named)}`);
                out(`tokens: ${res.tokens}; cumulative units: ${res.voucher.cumulative}`);
                out(`receipt: verified, signed by worker ${res.workerKey} (staked for this model, attested)`);
            }
            return 0;
        }
        case 'snapshot': {
            if (!values.out) throw new UsageError('snapshot needs --out <file>');
            const saved = await saveRegistrySnapshot(ctx.chain, client.registry, values.worker ?? []);
            await writeFile(values.out, JSON.stringify(saved, null, 2));
            out(`registry snapshot: ${Object.keys(saved.stakes).length} worker stake(s) saved to ${values.out}`);
            return 0;
        }
        case 'receipt': {
            if (!arg || !/^[0-9a-f]{64}$/i.test(arg)) throw new UsageError('receipt needs a request id (64 hex)');
            out(JSON.stringify(await client.receipt(arg)));
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

async function verifyReceiptFile(
    file: string | undefined,
    snapshotFile: string | undefined,
    ctx: ClientCliContext,
    out: (line: string) => void,
): Promise<number> {
    if (!file || !snapshotFile) throw new UsageError('verify-receipt needs <receipt.json> and --snapshot <file>');
    const read = async <T>(f: string): Promise<T> => {
        try {
            return JSON.parse(await readFile(f, 'utf8')) as T;
        } catch (err) {
            throw new UsageError(`cannot read ${f} as JSON: ${(err as Error).message}`);
        }
    };
    const bundle = await read<ReceiptBundle>(file);
    const snapshot = await read<SavedRegistrySnapshot>(snapshotFile);
    const check = await checkReceiptBundle(
        bundle,
        snapshot,
        pccsPolicy(ctx.config.pccsUrl ?? '', ctx.config.pccsApiKey),
    );
    if (!check.ok) {
        out(`receipt: REFUSED: ${check.reason}`);
        return 1;
    }
    out(`receipt: verified offline, signed by worker ${bundle.receipt.workerKey} (staked for this model, attested)`);
    return 0;
}

/**
 * The proxies `serve` uses: with CHRYSALIS_REGISTRY, every registered proxy where the wallet has an active account
 * (printed with its balance); otherwise the one of CHRYSALIS_PROXY_URL / CHRYSALIS_PROXY_ADDRESS.
 */
async function gatewayClients(
    ctx: ClientCliContext,
    policy: ReturnType<typeof pccsPolicy>,
    out: (line: string) => void,
): Promise<ChrysalisClient[]> {
    if (!ctx.config.registryAddress) {
        let proxyAddress: Address;
        try {
            proxyAddress = Address.parse(ctx.config.proxyAddress);
        } catch {
            throw new UsageError('set CHRYSALIS_REGISTRY (or CHRYSALIS_PROXY_URL and CHRYSALIS_PROXY_ADDRESS)');
        }
        const client = await ChrysalisClient.connect({
            proxyUrl: ctx.config.proxyUrl,
            chain: ctx.chain,
            proxyAddress,
            wallet: ctx.wallet,
            attestationPolicy: policy,
            allowPlainHttp: ctx.config.plainHttp,
        });
        return [client];
    }
    const found = await discoverProxies({
        chain: ctx.chain,
        registry: Address.parse(ctx.config.registryAddress),
        wallet: ctx.wallet,
        attestationPolicy: policy,
        allowPlainHttp: ctx.config.plainHttp,
    });
    const clients: ChrysalisClient[] = [];
    for (const p of found) {
        if (!p.client) {
            out(`proxy ${p.id} ${p.endpoint}: ${p.skipped}`);
            continue;
        }
        const d = await p.client.accountData();
        out(
            `proxy ${p.id} ${p.endpoint}: account ${p.client.account.toString()}, balance ${fromNano(d.balance)} TON, ` +
                `stake ${fromNano(d.stake)} TON, charged ${d.charged} units`,
        );
        clients.push(p.client);
    }
    if (clients.length === 0) throw new UsageError('no registered proxy holds an account of this wallet: run `open`');
    return clients;
}

export async function run(argv: string[], ctx?: ClientCliContext): Promise<number> {
    try {
        return await runWith(argv, ctx ?? (await contextFromEnv()));
    } catch (err) {
        const usage = err instanceof UsageError || err instanceof BatchInputError || err instanceof VoucherFileError;
        if (usage || (err as Error).name === 'ConfigError') {
            process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
            return 2;
        }
        if (err instanceof ProxyError) {
            process.stderr.write(`the proxy refused: ${err.message}\n`);
            return 1;
        }
        if (err instanceof ReceiptError) {
            process.stderr.write(`receipt: REFUSED: ${err.message}\n`);
            return 1;
        }
        throw err;
    }
}
