/**
 * Whether a receipt's worker key may sign receipts at all: a signature over the right hashes proves only that
 * *some* key signed them, so anyone on the path (or the proxy) could forge outputs and re-sign them with a fresh key.
 * A receipt is trusted only when its key has an Active WorkerStake for that very model on the registry (so a wrong
 * receipt can be slashed) and its announcement's attestation verifies under the registry's policy for the image the
 * stake registered.
 */
import { Address } from '@ton/core';
import { Chain } from '../chain';
import { SignedAnnouncement, verifyAnnouncement } from '../protocol/announcement';
import { readStake, stakeProblem } from '../roles/worker/stake';
import { AttestationDocument, RegistryView, verifyAttestation } from '../tee';
import type { StakeState } from '../../../wrappers/WorkerStake';
import type { Check, PolicyOptions } from './verify';

/** The parts of a WorkerStake's state a receipt check reads. */
export type StakeFacts = Pick<StakeState, 'status' | 'modelHash' | 'imageHash'>;

/** A worker key's stake (null: none deployed), from chain or from a saved snapshot. */
export type StakeLookup = (workerKey: bigint) => Promise<StakeFacts | null>;

/** Reads stakes from the Registry's `workerStakeAddress` and the WorkerStake's `state` getter. */
export function chainStakes(chain: Chain, registry: Address): StakeLookup {
    return (workerKey) => readStake(chain, registry, workerKey);
}

export interface WorkerTrustOptions {
    stakes: StakeLookup;
    registry: RegistryView;
    policy?: PolicyOptions;
    /** How long a positive verdict is reused, ms (default 60000): a stake leaves Active by unbonding, not at once. */
    ttlMs?: number;
}

const hex256 = (v: bigint) => v.toString(16).padStart(64, '0');

export class WorkerTrust {
    private readonly trusted = new Map<string, number>();
    private readonly refreshing = new Set<string>();

    constructor(private readonly o: WorkerTrustOptions) {}

    /**
     * Checks `workerKey` for `modelHash` (both hex); `announcement` fetches the worker's signed announcement (from the
     * proxy, or a saved receipt file) only when the stake is in order. A positive verdict is reused for `ttlMs`, never
     * longer; in its last fifth it is checked again in the background, so that a worker in steady use is not re-read
     * on an answer's path, and one whose stake left Active is refused as soon as that check sees it.
     */
    async check(
        workerKey: string,
        modelHash: string,
        announcement: () => Promise<SignedAnnouncement | undefined>,
    ): Promise<Check> {
        const key = workerKey.toLowerCase();
        const cacheKey = `${key}:${modelHash.toLowerCase()}`;
        const until = this.trusted.get(cacheKey);
        const now = Date.now();
        if (until !== undefined && until > now) {
            if (until - now < this.ttl() / 5 && !this.refreshing.has(cacheKey)) {
                this.refreshing.add(cacheKey);
                this.verify(key, modelHash, cacheKey, announcement)
                    .then((verdict) => {
                        if (!verdict.ok) this.trusted.delete(cacheKey);
                    })
                    // A failed read (chain or proxy unreachable) leaves the verdict to expire at its time.
                    .catch(() => undefined)
                    .finally(() => this.refreshing.delete(cacheKey));
            }
            return { ok: true };
        }
        return this.verify(key, modelHash, cacheKey, announcement);
    }

    private ttl(): number {
        return this.o.ttlMs ?? 60000;
    }

    private async verify(
        key: string,
        modelHash: string,
        cacheKey: string,
        announcement: () => Promise<SignedAnnouncement | undefined>,
    ): Promise<Check> {
        if (!/^[0-9a-f]{64}$/.test(key)) return { ok: false, reason: 'the receipt names no valid worker key' };
        const stake = await this.o.stakes(BigInt('0x' + key));
        const problem = stakeProblem(stake as StakeState | null, BigInt('0x' + modelHash));
        if (problem) return { ok: false, reason: `worker ${key} is not staked for this model: ${problem}` };
        const signed = await announcement();
        if (!signed || signed.workerKey.toLowerCase() !== key || !verifyAnnouncement(signed)) {
            return { ok: false, reason: `worker ${key} has no announcement signed by its key` };
        }
        const verdict = await verifyAttestation(
            { document: signed.attestation as AttestationDocument, publicKey: Buffer.from(key, 'hex') },
            { ...this.o.policy, registry: this.o.registry, role: 'worker' },
        );
        if (!verdict.valid) {
            return { ok: false, reason: `worker ${key}'s attestation is refused: ${verdict.error.message}` };
        }
        if (verdict.imageHashHex !== hex256(stake!.imageHash)) {
            return { ok: false, reason: `worker ${key} runs another image than its WorkerStake registered` };
        }
        this.trusted.set(cacheKey, Date.now() + this.ttl());
        return { ok: true };
    }
}
