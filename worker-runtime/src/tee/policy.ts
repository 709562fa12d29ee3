/**
 * The decision a peer makes about another peer's attestation: is the quote genuine (verifier.ts or, on test
 * networks only, simulated.ts), does it commit to the key the peer presents, does it run an image the registry
 * allows for its role, is it a production (non-debug) TD, and is its TCB status acceptable.
 */
import { X509Certificate } from 'node:crypto';
import { bindingReportData, imageHash } from './binding';
import { VerdictCache } from './cache';
import { INTEL_SGX_ROOT_CA } from './certificates';
import { Collateral, evaluateTcb, TcbStatus, verifyCollateral } from './collateral';
import { AttestationError, AttestationErrorCode, fail } from './errors';
import { AttestationDocument, AttestationKind, decodeDocument } from './provider';
import { isDebugTd, TdReport } from './quote';
import { verifySimulatedQuote } from './simulated';
import { verifyQuote } from './verifier';

/**
 * What the policy needs from the on-chain registry; the registry watcher implements it. Image hashes are the
 * uint256 the registry stores: SHA-256(MRTD ‖ RTMR0 ‖ RTMR1 ‖ RTMR2) read as a big-endian integer.
 */
export interface RegistryView {
    isTestNetwork(): boolean;
    workerImageAllowed(imageHash: bigint): boolean;
    proxyImageAllowed(imageHash: bigint): boolean;
}

export type Role = 'worker' | 'proxy';
/** 'Unknown' = no collateral was available, so no TCB status could be computed. */
export type TcbVerdictStatus = TcbStatus | 'Unknown';

export interface Logger {
    warn(message: string): void;
}

export interface AttestationPolicy {
    registry: RegistryView;
    /** The role the peer claims; selects the allow-list. */
    role: Role;
    /** Pinned roots; default the Intel SGX Root CA. */
    roots?: (string | X509Certificate)[];
    /** CRLs, or a source of them (e.g. a PCCS, whose CRLs must be fetched again before their nextUpdate). */
    crls?: (Buffer | string)[] | (() => Promise<(Buffer | string)[]>);
    /** Collateral for a PCK FMSPC, e.g. from a PCCS. Without it the TCB status is 'Unknown'. */
    collateral?: (fmspc: string) => Promise<Collateral | undefined> | Collateral | undefined;
    /** Default ['UpToDate']. Add 'Unknown' only where no PCCS is reachable and that risk is accepted. */
    acceptedTcbStatuses?: TcbVerdictStatus[];
    /** Default false: a debug TD exposes its memory to the host. */
    allowDebug?: boolean;
    logger?: Logger;
    cache?: VerdictCache<VerifiedFacts>;
}

export interface AttestationInput {
    /** A document as exchanged between nodes, or raw TDX quote bytes. */
    document?: AttestationDocument | string;
    quote?: Uint8Array;
    /** The Ed25519 public key the peer presents (32 bytes). */
    publicKey: Uint8Array;
    nonce?: Uint8Array;
    /** Verification time; default now. */
    at?: Date;
}

/** What cryptographic verification established; cached per (quote, key, nonce). */
export interface VerifiedFacts {
    kind: AttestationKind;
    body: TdReport;
    imageHash: Buffer;
    tcbStatus: TcbVerdictStatus;
    fmspc?: string;
    pcesvn?: number;
    advisoryIds: string[];
}

export type AttestationVerdict =
    | ({ valid: true; role: Role; imageHashHex: string; cached: boolean } & VerifiedFacts)
    | { valid: false; role: Role; error: { code: AttestationErrorCode; message: string } };

function inputBytes(input: AttestationInput): { kind: AttestationKind; bytes: Buffer } {
    if (input.document !== undefined) return decodeDocument(input.document);
    if (input.quote) return { kind: 'tdx', bytes: Buffer.from(input.quote) };
    fail('malformed', 'no attestation document or quote given');
}

async function verifyFacts(
    kind: AttestationKind,
    bytes: Buffer,
    policy: AttestationPolicy,
    at: Date,
): Promise<{ facts: VerifiedFacts; notAfter: number }> {
    if (kind === 'simulated') {
        const { body } = verifySimulatedQuote(bytes);
        return {
            facts: { kind, body, imageHash: imageHash(body), tcbStatus: 'Unknown', advisoryIds: [] },
            notAfter: Infinity,
        };
    }
    let crls: (Buffer | string)[] | undefined;
    try {
        crls = typeof policy.crls === 'function' ? await policy.crls() : policy.crls;
    } catch (err) {
        fail('collateral', `CRL source failed: ${(err as Error).message}`);
    }
    const unverified = verifyQuote(bytes, { roots: policy.roots, at, crls });
    let tcbStatus: TcbVerdictStatus = 'Unknown';
    let advisoryIds: string[] = [];
    let collateral: Collateral | undefined;
    try {
        collateral = policy.collateral ? await policy.collateral(unverified.pck.fmspc) : undefined;
    } catch (err) {
        fail('collateral', `collateral source failed for FMSPC ${unverified.pck.fmspc}: ${(err as Error).message}`);
    }
    let notAfter = Math.min(...unverified.chain.map((c) => new Date(c.validTo).getTime()));
    if (collateral) {
        const { tcbInfo, qeIdentity } = verifyCollateral(collateral, {
            roots: policy.roots ?? [INTEL_SGX_ROOT_CA],
            at,
            crls,
        });
        const tcb = evaluateTcb(unverified.quote, unverified.pck, tcbInfo, qeIdentity);
        tcbStatus = tcb.status;
        advisoryIds = tcb.advisoryIds;
        const next = Date.parse(JSON.parse(collateral.tcbInfoJson).tcbInfo.nextUpdate);
        if (!Number.isNaN(next)) notAfter = Math.min(notAfter, next);
    }
    const body = unverified.quote.body;
    return {
        facts: {
            kind,
            body,
            imageHash: imageHash(body),
            tcbStatus,
            fmspc: unverified.pck.fmspc,
            pcesvn: unverified.pck.pceSvn,
            advisoryIds,
        },
        notAfter,
    };
}

/**
 * Peers (role and key) whose simulated attestation this process has already warned about: the warning is for the
 * operator, once per peer, not once per check (a proxy re-checks each worker's announcement every few seconds).
 * Bounded: forgotten all at once when full, so a long-running process may warn again, never grow without limit.
 */
const simulatedPeersWarned = new Set<string>();
const SIMULATED_PEERS_REMEMBERED = 1024;

function firstSimulatedSighting(role: string, publicKey: Uint8Array): boolean {
    const id = `${role}:${Buffer.from(publicKey).toString('hex')}`;
    if (simulatedPeersWarned.has(id)) return false;
    if (simulatedPeersWarned.size >= SIMULATED_PEERS_REMEMBERED) simulatedPeersWarned.clear();
    simulatedPeersWarned.add(id);
    return true;
}

/** Verifies a peer's attestation against the policy. Never throws for bad input: refusals come back as verdicts. */
export async function verifyAttestation(
    input: AttestationInput,
    policy: AttestationPolicy,
): Promise<AttestationVerdict> {
    const role = policy.role;
    try {
        const at = input.at ?? new Date();
        const { kind, bytes } = inputBytes(input);
        const expected = bindingReportData(input.publicKey, input.nonce);
        const key = VerdictCache.key(kind, bytes, input.publicKey, input.nonce);

        // Simulated documents are refused before any work outside test networks.
        if (kind === 'simulated' && !policy.registry.isTestNetwork()) {
            fail('policy', 'simulated attestation refused: the registry network is not a test network');
        }
        let facts = policy.cache?.get(key, at.getTime());
        const cached = facts !== undefined;
        let notAfter = Infinity;
        if (!facts) ({ facts, notAfter } = await verifyFacts(kind, bytes, policy, at));

        if (kind === 'simulated' && firstSimulatedSighting(role, input.publicKey)) {
            (policy.logger ?? console).warn(
                `SIMULATED ATTESTATION for a ${role} on a test network: no TEE protects this peer's data`,
            );
        }
        if (isDebugTd(facts.body) && !policy.allowDebug)
            fail('policy', 'debug TD refused: its memory is readable by the host');
        const hashInt = BigInt('0x' + facts.imageHash.toString('hex'));
        const allowed =
            role === 'worker'
                ? policy.registry.workerImageAllowed(hashInt)
                : policy.registry.proxyImageAllowed(hashInt);
        if (!allowed)
            fail('policy', `image ${facts.imageHash.toString('hex')} is not in the registry's ${role} allow-list`);
        if (kind === 'tdx') {
            const accepted = policy.acceptedTcbStatuses ?? ['UpToDate'];
            if (!accepted.includes(facts.tcbStatus)) {
                fail('policy', `TCB status ${facts.tcbStatus} is not accepted (accepted: ${accepted.join(', ')})`);
            }
        }
        // The cache key includes the key and nonce, so a cached entry has already passed this check.
        if (!cached) {
            if (!facts.body.reportData.equals(expected)) {
                fail(
                    'binding',
                    'report_data is not SHA-512(presented public key ‖ nonce): the quote belongs to another key',
                );
            }
            policy.cache?.set(key, facts, at.getTime(), notAfter);
        }
        return { valid: true, role, imageHashHex: facts.imageHash.toString('hex'), cached, ...facts };
    } catch (err) {
        if (err instanceof AttestationError)
            return { valid: false, role, error: { code: err.code, message: err.message } };
        return {
            valid: false,
            role,
            error: { code: 'malformed', message: `attestation could not be checked: ${(err as Error).message}` },
        };
    }
}
