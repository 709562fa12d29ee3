/**
 * Deploys a whole Chrysalis network on a sandbox chain in one call: the Registry (test-network params, a treasury,
 * the simulated TEE images, the devnet models, the child codes), a Proxy with its stake recorded in the registry,
 * N workers with one WorkerStake per model, and a client with a real wallet and a funded ClientAccount.
 * Everything is derived from `seed`, so the same options give the same addresses and keys on every run.
 */
import { Address, Cell, toNano } from '@ton/core';
import { KeyPair, keyPairFromSeed } from '@ton/crypto';
import { SandboxContract, TreasuryContract } from '@ton/sandbox';
import { NetworkParams, Registry } from '../../../wrappers/Registry';
import { defaultNetworkParams } from '../../../wrappers/registryParams';
import { WorkerStake } from '../../../wrappers/WorkerStake';
import { REGISTER_WORKER_FEE } from '../../../wrappers/Registry';
import { Proxy, proxyFromArgs } from '../../../wrappers/Proxy';
import { ClientAccount, openingAt } from '../../../wrappers/ClientAccount';
import { CLIENT_FEES } from '../../../wrappers/billingFees';
import { WorkerAccount, workerAccountFor } from '../../../wrappers/WorkerAccount';
import { ClientAccount as EmbeddedClientAccount } from '../../../build/Proxy/Proxy_ClientAccount';
import { WorkerAccount as EmbeddedWorkerAccount } from '../../../build/Proxy/Proxy_WorkerAccount';
import { SandboxChain } from '../chain/sandboxChain';
import { Measurements, imageHashBigInt } from '../tee/binding';
import { SIMULATED_MEASUREMENTS } from '../tee/simulated';
import { ClientWallet, deployClientWallet } from './clientWallet';
import { devnetKeyPair, devnetKeySeed, devnetMnemonicKeyPair, publicKeyToUint } from './keys';
import {
    DEVNET_MODEL_NAMES,
    DevnetGenerativeName,
    DevnetModel,
    DevnetModelName,
    ExtraPackage,
    loadDevnetModels,
    loadDevnetPackages,
} from './models';
import { Party } from './ledger';
import { DevnetView, workerKeyLabel } from './view';
import { requireSuccess } from './transactions';
import { DEFAULT_REGISTRATION_VALIDITY_S, signWorkerRegistration } from '../protocol/registration';

/** Registry child-code kinds (contracts/registry/constants.tact). */
const CHILD_KIND = { proxy: 2n, clientAccount: 3n, workerAccount: 4n } as const;
/** What governance messages carry (the registry keeps its balance and returns the rest). */
const ADMIN_VALUE = toNano('0.05');

export interface DeployNetworkOptions {
    /** Number of worker operators; each registers one worker key per model. Default 2. */
    workers?: number;
    /** Everything (keys, addresses) is derived from it. Default 'devnet'. */
    seed?: string;
    /** Models to list and serve. Default: the generated models and Silero VAD. */
    models?: readonly DevnetModelName[];
    /** Generative model folders to list and serve as well. Default none (`npm run devnet` serves all three). */
    generative?: readonly DevnetGenerativeName[];
    /** Generative folders of the operator's own, listed and served like the generated ones. */
    extraPackages?: readonly ExtraPackage[];
    /** Overrides of the test-network params (isTestNetwork stays true unless overridden). */
    params?: Partial<NetworkParams>;
    /** Measurements of the worker and proxy images. Default: the simulated TEE provider's. */
    workerMeasurements?: Measurements;
    proxyMeasurements?: Measurements;
    /** The endpoint the registry lists for the proxy. Default http://127.0.0.1:8080. */
    proxyEndpoint?: string;
    proxyId?: bigint;
    /** The Proxy's stake. Default minProxyStake + 1 TON. */
    proxyStake?: bigint;
    /** Each WorkerStake's bond. Default minWorkerStake. */
    workerBond?: bigint;
    /** The client's ClientAccount stake (default minClientStake) and its deposit above it (default 10 TON). */
    clientStake?: bigint;
    clientDeposit?: bigint;
    /** What the client's wallet is funded with. Default 100 TON. */
    clientFunding?: bigint;
    /** Chain time at deploy. Default: the wall clock (so vouchers signed with Date.now() are valid on chain). */
    now?: number;
}

export interface DevnetWorkerKey {
    model: DevnetModel;
    /** The 32-byte seed of the worker key (what a worker process is configured with: CHRYSALIS_WORKER_SEED). */
    keySeed: Buffer;
    keyPair: KeyPair;
    /** The public key as the registry stores it. */
    workerKey: bigint;
    stake: SandboxContract<WorkerStake>;
}

export interface DevnetWorker {
    index: number;
    /** The operator's wallet: owns the stakes and receives the payouts. */
    owner: SandboxContract<TreasuryContract>;
    /** One attested worker key per model. */
    keys: DevnetWorkerKey[];
    /** Where the operator's payouts are counted (deployed by the first payout claim). */
    payoutAccount: SandboxContract<WorkerAccount>;
    payoutAccountInit: { code: Cell; data: Cell };
}

export interface DevnetProxy {
    contract: SandboxContract<Proxy>;
    keyPair: KeyPair;
    owner: SandboxContract<TreasuryContract>;
    proxyId: bigint;
    endpoint: string;
    stake: bigint;
}

export interface DevnetClient extends ClientWallet {
    account: SandboxContract<ClientAccount>;
    stake: bigint;
    deposit: bigint;
}

export interface DevnetNetwork {
    chain: SandboxChain;
    seed: string;
    /** The registry owner (governance). */
    governance: SandboxContract<TreasuryContract>;
    /** Receives slashed TON. */
    treasury: SandboxContract<TreasuryContract>;
    registry: SandboxContract<Registry>;
    params: NetworkParams;
    paramsVersion: bigint;
    images: { worker: bigint; proxy: bigint };
    models: DevnetModel[];
    proxy: DevnetProxy;
    workers: DevnetWorker[];
    client: DevnetClient;
}

/** The devnet's params: test network, prices high enough that the money moved by a few hundred requests shows. */
export function devnetParams(treasury: Address, overrides: Partial<NetworkParams> = {}): NetworkParams {
    return defaultNetworkParams(treasury, {
        isTestNetwork: true,
        pricePerToken: 1_000_000n,
        workerFeePerToken: 800_000n,
        ...overrides,
    });
}

/** The models a deployment with these options lists (and its workers serve), in the order it registers them. */
export async function networkModels(options: DeployNetworkOptions): Promise<DevnetModel[]> {
    return [
        ...(await loadDevnetModels(options.models ?? DEVNET_MODEL_NAMES)),
        ...loadDevnetPackages(options.generative ?? [], options.extraPackages ?? []),
    ];
}

export async function deployNetwork(chain: SandboxChain, options: DeployNetworkOptions = {}): Promise<DevnetNetwork> {
    const workerCount = options.workers ?? 2;
    if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > 16) {
        throw new RangeError(`workers must be an integer from 1 to 16, got ${workerCount}`);
    }
    const seed = options.seed ?? 'devnet';
    const blockchain = chain.blockchain;
    blockchain.now = options.now ?? Math.floor(Date.now() / 1000);

    const governance = await blockchain.treasury(`${seed}:governance`);
    const treasury = await blockchain.treasury(`${seed}:treasury`);
    const params = devnetParams(treasury.address, options.params);
    const models = await networkModels(options);
    const images = {
        worker: imageHashBigInt(options.workerMeasurements ?? SIMULATED_MEASUREMENTS),
        proxy: imageHashBigInt(options.proxyMeasurements ?? SIMULATED_MEASUREMENTS),
    };

    const registry = await deployRegistry(chain, governance, params, images, models);
    const paramsVersion = await registry.getParamsVersion();
    const proxy = await deployProxy(chain, seed, governance, registry, params, paramsVersion, options);
    const workers: DevnetWorker[] = [];
    for (let i = 0; i < workerCount; i++) {
        workers.push(await registerWorker(chain, seed, i, registry, proxy, models, images.worker, options));
    }
    const client = await openClient(chain, seed, params, proxy, options);
    return {
        chain,
        seed,
        governance,
        treasury,
        registry,
        params,
        paramsVersion,
        images,
        models,
        proxy,
        workers,
        client,
    };
}

async function deployRegistry(
    chain: SandboxChain,
    governance: SandboxContract<TreasuryContract>,
    params: NetworkParams,
    images: { worker: bigint; proxy: bigint },
    models: DevnetModel[],
): Promise<SandboxContract<Registry>> {
    const stakeCode = (await WorkerStake.fromInit(governance.address, 0n)).init!.code;
    const registry = chain.blockchain.openContract(await Registry.fromInit(governance.address, params, stakeCode));
    requireSuccess(
        await registry.send(governance.getSender(), { value: toNano('1') }, { $$type: 'TopUpReserve', queryId: 0n }),
        registry.address,
        'deploy registry',
    );

    const admin = async (what: string, message: Parameters<typeof registry.send>[2]) =>
        requireSuccess(
            await registry.send(governance.getSender(), { value: ADMIN_VALUE }, message),
            registry.address,
            what,
        );
    await admin('allow the worker image', { $$type: 'AllowWorkerImage', queryId: 0n, imageHash: images.worker });
    await admin('allow the proxy image', { $$type: 'AllowProxyImage', queryId: 0n, imageHash: images.proxy });
    for (const model of models) {
        await admin(`allow model ${model.name}`, {
            $$type: 'AllowModel',
            queryId: 0n,
            modelHash: model.hash,
            kind: model.kindCode,
            name: model.name,
        });
    }
    for (const [kind, code] of Object.entries(await billingChildCodes(registry.address, params))) {
        await admin(`set the ${kind} child code`, {
            $$type: 'SetChildCode',
            queryId: 0n,
            kind: CHILD_KIND[kind as keyof typeof CHILD_KIND],
            code,
        });
    }
    return registry;
}

/** The worker key's signed consent to be bonded for `owner` on this registry (valid for an hour of chain time). */
function workerConsent(
    chain: SandboxChain,
    registry: Address,
    owner: Address,
    secretKey: Buffer,
): { expiry: bigint; signature: Buffer } {
    const expiry = (chain.blockchain.now ?? Math.floor(Date.now() / 1000)) + DEFAULT_REGISTRATION_VALIDITY_S;
    return { expiry: BigInt(expiry), signature: signWorkerRegistration({ registry, owner, expiry }, secretKey) };
}

/** The codes of the billing contracts the registry publishes (the ones the Proxy embeds and checks). */
async function billingChildCodes(
    registry: Address,
    params: NetworkParams,
): Promise<Record<keyof typeof CHILD_KIND, Cell>> {
    const zero = new Address(0, Buffer.alloc(32));
    const probeKey = Buffer.alloc(32, 1);
    const proxy = await proxyFromArgs({
        owner: zero,
        publicKey: probeKey,
        registry,
        proxyId: 0n,
        paramsVersion: 0n,
        params,
    });
    return {
        proxy: proxy.init!.code,
        clientAccount: (await EmbeddedClientAccount.fromInit(zero, zero, 0n, 0n, 0n, Cell.EMPTY, 0n, 0n, 0n, 0n)).init!
            .code,
        workerAccount: (await EmbeddedWorkerAccount.fromInit(zero, zero, 0n, 0n)).init!.code,
    };
}

async function deployProxy(
    chain: SandboxChain,
    seed: string,
    governance: SandboxContract<TreasuryContract>,
    registry: SandboxContract<Registry>,
    params: NetworkParams,
    paramsVersion: bigint,
    options: DeployNetworkOptions,
): Promise<DevnetProxy> {
    const owner = await chain.blockchain.treasury(`${seed}:proxy-owner`);
    const keyPair = devnetKeyPair(seed, 'proxy');
    const proxyId = options.proxyId ?? 1n;
    const endpoint = options.proxyEndpoint ?? 'http://127.0.0.1:8080';
    const stake = options.proxyStake ?? params.minProxyStake + toNano('1');
    const contract = chain.blockchain.openContract(
        await proxyFromArgs({
            owner: owner.address,
            publicKey: keyPair.publicKey,
            registry: registry.address,
            proxyId,
            paramsVersion,
            params,
        }),
    );
    requireSuccess(
        await contract.send(owner.getSender(), { value: stake }, null),
        contract.address,
        'activate the proxy',
    );
    requireSuccess(
        await registry.send(
            governance.getSender(),
            { value: ADMIN_VALUE },
            {
                $$type: 'RegisterProxy',
                queryId: 0n,
                proxyId,
                publicKey: publicKeyToUint(keyPair.publicKey),
                proxyAddress: contract.address,
                endpoint,
            },
        ),
        registry.address,
        'register the proxy',
    );
    return { contract, keyPair, owner, proxyId, endpoint, stake };
}

async function registerWorker(
    chain: SandboxChain,
    seed: string,
    index: number,
    registry: SandboxContract<Registry>,
    proxy: DevnetProxy,
    models: DevnetModel[],
    imageHash: bigint,
    options: DeployNetworkOptions,
): Promise<DevnetWorker> {
    const owner = await chain.blockchain.treasury(`${seed}:worker-owner:${index}`);
    const bond = options.workerBond ?? (await registry.getParams()).minWorkerStake;
    const keys: DevnetWorkerKey[] = [];
    for (const model of models) {
        const keySeed = devnetKeySeed(seed, workerKeyLabel(index, model));
        const keyPair = keyPairFromSeed(keySeed);
        const workerKey = publicKeyToUint(keyPair.publicKey);
        const result = await registry.send(
            owner.getSender(),
            { value: bond + REGISTER_WORKER_FEE },
            {
                $$type: 'RegisterWorker',
                queryId: 0n,
                workerKey,
                modelHash: model.hash,
                imageHash,
                ...workerConsent(chain, registry.address, owner.address, keyPair.secretKey),
            },
        );
        const stakeAddress = await registry.getWorkerStakeAddress(workerKey);
        requireSuccess(result, stakeAddress, `register worker ${index} for ${model.name}`);
        keys.push({
            model,
            keySeed,
            keyPair,
            workerKey,
            stake: chain.blockchain.openContract(WorkerStake.fromAddress(stakeAddress)),
        });
    }
    const account = await workerAccountFor(proxy.contract.address, owner.address, proxy.keyPair.publicKey);
    return {
        index,
        owner,
        keys,
        payoutAccount: chain.blockchain.openContract(account),
        payoutAccountInit: account.init!,
    };
}

async function openClient(
    chain: SandboxChain,
    seed: string,
    params: NetworkParams,
    proxy: DevnetProxy,
    options: DeployNetworkOptions,
): Promise<DevnetClient> {
    const funder = await chain.blockchain.treasury(`${seed}:faucet`);
    const wallet = await deployClientWallet(
        chain.blockchain,
        funder,
        await devnetMnemonicKeyPair(seed, 'client'),
        options.clientFunding ?? toNano('100'),
    );
    const stake = options.clientStake ?? params.minClientStake;
    const deposit = options.clientDeposit ?? toNano('10');
    const opening = openingAt(await chain.now());
    const result = await proxy.contract.send(
        wallet.sender,
        { value: stake + deposit + CLIENT_FEES.open },
        { $$type: 'OpenClientAccount', queryId: 0n, stake, opening },
    );
    const address = await proxy.contract.getClientAccountAddress(wallet.wallet.address, opening);
    requireSuccess(result, address, 'open the client account');
    return { ...wallet, account: chain.blockchain.openContract(ClientAccount.fromAddress(address)), stake, deposit };
}

/** The parties whose balances the devnet reports, each with every account it holds money in. */
export function devnetParties(net: DevnetView): Party[] {
    const wallets = (name: string) => net.operatorWallets?.[name] ?? [];
    return [
        { name: 'client', addresses: [net.client.wallet.address, net.client.account.address] },
        ...(net.gatewayClient
            ? [
                  {
                      name: 'gateway client',
                      addresses: [net.gatewayClient.wallet.address, net.gatewayClient.account.address],
                  },
              ]
            : []),
        { name: 'proxy', addresses: [net.proxy.contract.address, net.proxy.owner.address, ...wallets('proxy')] },
        ...net.workers.map((w) => ({
            name: `worker ${w.index}`,
            addresses: [w.owner.address, w.payoutAccount.address, ...wallets(`worker ${w.index}`)],
        })),
        { name: 'treasury', addresses: [net.treasury.address] },
        { name: 'registry', addresses: [net.registry.address, net.governance.address] },
    ];
}
