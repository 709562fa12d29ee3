/**
 * A registry view read once from the Registry contract's getters, for clients that follow no event stream (the CLI,
 * a short-lived script): what the attestation policy needs — test-network flag and the image allow-lists — and, for
 * offline receipt checks, a saved copy of it with the WorkerStakes of named worker keys.
 */
import { Address } from '@ton/core';
import { Chain } from '../chain';
import { RegistryView } from '../tee';
import { Registry } from '../../../wrappers/Registry';
import { readStake } from '../roles/worker/stake';
import { StakeFacts, StakeLookup } from './workerTrust';

export async function registrySnapshot(chain: Chain, registry: Address): Promise<RegistryView> {
    return snapshotView(await saveRegistrySnapshot(chain, registry, []));
}

/** The JSON a client saves (`chrysalis client snapshot`) and checks receipts against offline (`verify-receipt`). */
export interface SavedRegistrySnapshot {
    registry: string;
    /** Unix time the getters were read. */
    takenAt: number;
    isTestNetwork: boolean;
    /** Allowed image hashes, 64 hex characters each. */
    workerImages: string[];
    proxyImages: string[];
    /** WorkerStakes by worker key (hex): status and model/image hashes (hex); absent key = none deployed. */
    stakes: Record<string, { status: string; modelHash: string; imageHash: string }>;
    /** The registered proxies (absent in snapshots saved before RA-TLS): what an RA-TLS check offline needs. */
    proxies?: { endpoint: string; publicKey: string; proxyAddress: string }[];
}

const hex256 = (v: bigint) => v.toString(16).padStart(64, '0');

export async function saveRegistrySnapshot(
    chain: Chain,
    registry: Address,
    workerKeys: string[],
): Promise<SavedRegistrySnapshot> {
    const r = chain.open(Registry.fromAddress(registry));
    const [params, workerImages, proxyImages, proxies] = await Promise.all([
        r.getParams(),
        r.getWorkerImages(),
        r.getProxyImages(),
        r.getProxies(),
    ]);
    const stakes: SavedRegistrySnapshot['stakes'] = {};
    for (const key of workerKeys) {
        const s = await readStake(chain, registry, BigInt('0x' + key));
        if (s) {
            stakes[key.toLowerCase()] = {
                status: s.status.toString(),
                modelHash: hex256(s.modelHash),
                imageHash: hex256(s.imageHash),
            };
        }
    }
    const allowed = (m: typeof workerImages) => [...m.keys()].filter((k) => m.get(k) === true).map(hex256);
    return {
        registry: registry.toString(),
        takenAt: Math.floor(Date.now() / 1000),
        isTestNetwork: params.isTestNetwork,
        workerImages: allowed(workerImages),
        proxyImages: allowed(proxyImages),
        stakes,
        proxies: proxies.values().map((p) => ({
            endpoint: p.endpoint,
            publicKey: hex256(p.publicKey),
            proxyAddress: p.proxyAddress.toString(),
        })),
    };
}

/** The attestation policy's view of a saved snapshot. */
export function snapshotView(s: SavedRegistrySnapshot): RegistryView {
    const worker = new Set(s.workerImages);
    const proxy = new Set(s.proxyImages);
    return {
        isTestNetwork: () => s.isTestNetwork,
        workerImageAllowed: (hash) => worker.has(hex256(hash)),
        proxyImageAllowed: (hash) => proxy.has(hex256(hash)),
    };
}

/** The stakes a saved snapshot holds. */
export function snapshotStakes(s: SavedRegistrySnapshot): StakeLookup {
    return async (workerKey): Promise<StakeFacts | null> => {
        const e = s.stakes[hex256(workerKey)];
        return e
            ? { status: BigInt(e.status), modelHash: BigInt('0x' + e.modelHash), imageHash: BigInt('0x' + e.imageHash) }
            : null;
    };
}
