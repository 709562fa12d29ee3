/**
 * What a devnet run reads of a deployed network: its chain, parameters, models, keys and the addresses of every party.
 * The in-process devnet's {@link DevnetNetwork} is one (sandbox contracts); `--processes` rebuilds one in its own
 * process from the addresses the chain process prints and the keys the seed derives, over the devnet's TON API.
 * Only addresses and getters: whatever a run sends goes through the client SDK or a role.
 */
import { Address, OpenedContract } from '@ton/core';
import { KeyPair } from '@ton/crypto';
import type { Chain } from '../chain/chain';
import { NetworkParams, Registry } from '../../../wrappers/Registry';
import { Proxy } from '../../../wrappers/Proxy';
import { ClientAccount } from '../../../wrappers/ClientAccount';
import { WorkerAccount } from '../../../wrappers/WorkerAccount';
import { devnetKeyPair, devnetKeySeed, devnetMnemonicKeyPair } from './keys';
import { DevnetModel } from './models';

type Addressed = { address: Address };

export interface DevnetViewWorkerKey {
    model: DevnetModel;
    keySeed: Buffer;
    keyPair: KeyPair;
}

export interface DevnetView {
    chain: Chain;
    seed: string;
    params: NetworkParams;
    models: DevnetModel[];
    registry: Addressed;
    governance: Addressed;
    treasury: Addressed;
    proxy: {
        contract: Addressed & Pick<OpenedContract<Proxy>, 'getProxyData'>;
        owner: Addressed;
        keyPair: KeyPair;
    };
    client: {
        keyPair: KeyPair;
        wallet: Addressed;
        account: Addressed & Pick<OpenedContract<ClientAccount>, 'getAccountData'>;
    };
    workers: Array<{
        index: number;
        owner: Addressed;
        keys: DevnetViewWorkerKey[];
        payoutAccount: Addressed & Pick<OpenedContract<WorkerAccount>, 'getWorkerData'>;
    }>;
    /**
     * The gateway process's client (`--processes`): a wallet and ClientAccount of its own, a party of its own in the
     * ledger, and the account the generative demo's requests are charged to.
     */
    gatewayClient?: {
        wallet: Addressed;
        account: Addressed & Pick<OpenedContract<ClientAccount>, 'getAccountData'>;
    };
    /** Wallets the role processes pay gas from (`--processes`), counted with their party: name → addresses. */
    operatorWallets?: Record<string, Address[]>;
}

/** The addresses a deployment produced, as the chain process prints them (one JSON line). */
export interface DevnetAddresses {
    seed: string;
    registry: string;
    governance: string;
    treasury: string;
    proxy: { contract: string; owner: string; endpoint: string };
    client: { wallet: string; account: string };
    workers: Array<{ owner: string; payoutAccount: string }>;
}

export function devnetAddresses(view: DevnetView & { proxy: { endpoint: string } }): DevnetAddresses {
    const s = (a: Addressed) => a.address.toString();
    return {
        seed: view.seed,
        registry: s(view.registry),
        governance: s(view.governance),
        treasury: s(view.treasury),
        proxy: { contract: s(view.proxy.contract), owner: s(view.proxy.owner), endpoint: view.proxy.endpoint },
        client: { wallet: s(view.client.wallet), account: s(view.client.account) },
        workers: view.workers.map((w) => ({ owner: s(w.owner), payoutAccount: s(w.payoutAccount) })),
    };
}

/** The label of a worker key under the devnet seed (deployNetwork registers it; the worker process is given it). */
export function workerKeyLabel(operator: number, model: DevnetModel): string {
    return `worker:${operator}:${model.name}`;
}

/** The view of a deployed devnet over any chain: addresses from the deployment, keys from the seed. */
export async function viewOverChain(
    chain: Chain,
    addresses: DevnetAddresses,
    models: DevnetModel[],
): Promise<DevnetView> {
    const at = (a: string) => Address.parse(a);
    const registry = chain.open(Registry.fromAddress(at(addresses.registry)));
    const seed = addresses.seed;
    return {
        chain,
        seed,
        params: await registry.getParams(),
        models,
        registry,
        governance: { address: at(addresses.governance) },
        treasury: { address: at(addresses.treasury) },
        proxy: {
            contract: chain.open(Proxy.fromAddress(at(addresses.proxy.contract))),
            owner: { address: at(addresses.proxy.owner) },
            keyPair: devnetKeyPair(seed, 'proxy'),
        },
        client: {
            keyPair: await devnetMnemonicKeyPair(seed, 'client'),
            wallet: { address: at(addresses.client.wallet) },
            account: chain.open(ClientAccount.fromAddress(at(addresses.client.account))),
        },
        workers: addresses.workers.map((w, index) => ({
            index,
            owner: { address: at(w.owner) },
            keys: models.map((model) => {
                const keySeed = devnetKeySeed(seed, workerKeyLabel(index, model));
                return { model, keySeed, keyPair: devnetKeyPair(seed, workerKeyLabel(index, model)) };
            }),
            payoutAccount: chain.open(WorkerAccount.fromAddress(at(w.payoutAccount))),
        })),
    };
}
