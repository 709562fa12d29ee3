import { Address } from '@ton/core';
import { Registry, REGISTER_WORKER_FEE } from '../../../../wrappers/Registry';
import { StakeState, WorkerStake } from '../../../../wrappers/WorkerStake';
import { Chain, StakeStatus, Wallet } from '../../chain';
import { DEFAULT_REGISTRATION_VALIDITY_S, signWorkerRegistration } from '../../protocol/registration';

/** A worker key's stake as the chain has it, or null when no WorkerStake is deployed for the key. */
export async function readStake(chain: Chain, registry: Address, workerKey: bigint): Promise<StakeState | null> {
    const address = await chain.open(Registry.fromAddress(registry)).getWorkerStakeAddress(workerKey);
    const account = await chain.provider(address).getState();
    if (account.state.type !== 'active') return null;
    return chain.open(WorkerStake.fromAddress(address)).getState();
}

/** Why a stake does not let this worker serve `modelHash`; null when it is Active for that model. */
export function stakeProblem(stake: StakeState | null, modelHash: bigint): string | null {
    if (!stake || stake.status === StakeStatus.none) return 'the worker key has no WorkerStake (not registered)';
    if (stake.status === StakeStatus.unbonding) return 'the WorkerStake is unbonding: it takes no new jobs';
    if (stake.status === StakeStatus.slashed) return 'the WorkerStake was slashed by governance and is unbonding';
    if (stake.status !== StakeStatus.active) return `the WorkerStake has unknown status ${stake.status}`;
    if (stake.modelHash !== modelHash) {
        return `the WorkerStake is for model ${stake.modelHash.toString(16).padStart(64, '0')}, not this one`;
    }
    return null;
}

/**
 * Sends RegisterWorker from the owner's wallet: the registry checks the worker key's signature (made here with the
 * key's secret, for this registry and the wallet as owner, valid for an hour of chain time), image and model against
 * its allow-lists, and deploys the WorkerStake with `bond` bonded (0 = the network's minimum worker stake).
 */
export async function registerStake(params: {
    chain: Chain;
    registry: Address;
    wallet: Wallet;
    /** The worker key pair (64-byte Ed25519 secret key): its public key is the one bonded. */
    workerKeyPair: { publicKey: Buffer; secretKey: Buffer };
    modelHash: bigint;
    imageHash: bigint;
    bond: bigint;
}): Promise<void> {
    const registry = params.chain.open(Registry.fromAddress(params.registry));
    const bond = params.bond > 0n ? params.bond : (await registry.getParams()).minWorkerStake;
    const expiry = (await params.chain.now()) + DEFAULT_REGISTRATION_VALIDITY_S;
    const signature = signWorkerRegistration(
        { registry: params.registry, owner: params.wallet.address, expiry },
        params.workerKeyPair.secretKey,
    );
    await registry.send(
        params.wallet.sender,
        { value: bond + REGISTER_WORKER_FEE },
        {
            $$type: 'RegisterWorker',
            queryId: 0n,
            workerKey: BigInt('0x' + params.workerKeyPair.publicKey.toString('hex')),
            modelHash: params.modelHash,
            imageHash: params.imageHash,
            expiry: BigInt(expiry),
            signature,
        },
    );
}

/** Polls until the stake is Active for the model (a real network confirms in seconds; the sandbox at once). */
export async function waitForActiveStake(
    chain: Chain,
    registry: Address,
    workerKey: bigint,
    modelHash: bigint,
    timeoutMs: number,
): Promise<StakeState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const stake = await readStake(chain, registry, workerKey);
        if (!stakeProblem(stake, modelHash)) return stake!;
        if (Date.now() > deadline) throw new Error(stakeProblem(stake, modelHash)!);
        await new Promise((r) => setTimeout(r, chain.network === 'sandbox' ? 10 : 3_000));
    }
}

export const DEFAULT_REGISTRATION_TIMEOUT_MS = 120_000;
