/**
 * The worker key's consent to be bonded: RegisterWorker carries the key's Ed25519 signature of the SHA-256 of
 *   worker_registration#43525752 registry:MsgAddressInt owner:MsgAddressInt expiry:(## 34)
 * (contracts/schema.tlb; a 34-bit expiry makes 600 bits, whole bytes, as SHA-256 needs). The registry hashes the same bits and refuses a
 * registration whose signature does not match (ERR_BAD_WORKER_SIGNATURE) or whose expiry has passed
 * (ERR_REGISTRATION_EXPIRED), so nobody can bond a key he does not hold, and a signature names the one owner allowed
 * to use it on one registry.
 */
import { Address, beginCell } from '@ton/core';
import { createHash } from 'node:crypto';
import { ed25519Sign, ed25519Verify } from '../crypto/ed25519';

/** First 32 bits of the signed data (WORKER_REGISTRATION_TAG in contracts/registry/constants.tact). */
export const WORKER_REGISTRATION_TAG = 0x43525752;
/** How long a registration signature made by the runtime stays valid: ample for one transaction to land. */
export const DEFAULT_REGISTRATION_VALIDITY_S = 3600;

export interface WorkerRegistration {
    registry: Address;
    owner: Address;
    /** Unix time after which the registry refuses the signature. */
    expiry: number;
}

/** The 32 bytes the worker key signs. */
export function workerRegistrationHash(r: WorkerRegistration): Buffer {
    if (!Number.isInteger(r.expiry) || r.expiry < 0 || r.expiry > 0xffffffff) {
        throw new RangeError(`registration expiry must be a uint32 unix time, got ${r.expiry}`);
    }
    const bits = beginCell()
        .storeUint(WORKER_REGISTRATION_TAG, 32)
        .storeAddress(r.registry)
        .storeAddress(r.owner)
        .storeUint(r.expiry, 34)
        .endCell().bits;
    return createHash('sha256').update(bits.subbuffer(0, bits.length)!).digest();
}

/** Signs a registration with the worker's 64-byte Ed25519 secret key. */
export function signWorkerRegistration(r: WorkerRegistration, secretKey: Buffer): Buffer {
    return ed25519Sign(workerRegistrationHash(r), secretKey);
}

export function verifyWorkerRegistration(r: WorkerRegistration, signature: Buffer, publicKey: Buffer): boolean {
    return ed25519Verify(workerRegistrationHash(r), signature, publicKey);
}
