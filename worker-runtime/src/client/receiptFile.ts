/**
 * A receipt kept for later: what was sent, what came back, the receipt and the worker's signed announcement, so
 * that it can be checked offline (`chrysalis client verify-receipt <file>`) against a saved registry snapshot.
 */
import { Address } from '@ton/core';
import type { SignedAnnouncement } from '../protocol/announcement';
import { Check, PolicyOptions, ReceiptLike, verifyInferenceReceipt } from './verify';
import { SavedRegistrySnapshot, snapshotStakes, snapshotView } from './registrySnapshot';
import { WorkerTrust } from './workerTrust';

export interface ReceiptBundle {
    /** The signed request's fields the receipt covers. */
    request: { requestId: string; model: string; inputs: unknown };
    /** The tensor outputs received. */
    outputs: unknown;
    receipt: ReceiptLike;
    /** The worker's announcement (its attestation), as the proxy served it. */
    announcement?: SignedAnnouncement;
}

/**
 * The same checks the SDK makes online: hashes and signature, then the key's WorkerStake (Active, this model, the
 * attested image) and its attestation under the snapshot's policy — all from the files, no network.
 */
export async function checkReceiptBundle(
    bundle: ReceiptBundle,
    snapshot: SavedRegistrySnapshot,
    policy: PolicyOptions = {},
): Promise<Check> {
    // The receipt must be bound to the snapshot's registry (not the one it names itself).
    const local = verifyInferenceReceipt(
        bundle.receipt,
        bundle.request,
        bundle.outputs,
        Address.parse(snapshot.registry),
    );
    if (!local.ok) return local;
    const trust = new WorkerTrust({ stakes: snapshotStakes(snapshot), registry: snapshotView(snapshot), policy });
    return trust.check(bundle.receipt.workerKey, bundle.request.model.toLowerCase(), async () => bundle.announcement);
}
