/**
 * What a client checks before it trusts an answer: the proxy's attestation (its key runs an allowed image, and it is
 * the key of the Proxy contract it pays), each worker's announcement and attestation, and each receipt (signed by
 * that worker's key over the hashes of exactly what the client sent and got back).
 */
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { Chain } from '../chain';
import { hashTensors, toWireMap } from '../inference/codec';
import { SignedAnnouncement, verifyAnnouncement } from '../protocol/announcement';
import { hashJson } from '../protocol/canonical';
import { buildReceiptCell } from '../protocol/receipt';
import { ed25519Verify } from '../crypto/ed25519';
import { AttestationDocument, AttestationPolicy, AttestationVerdict, RegistryView, verifyAttestation } from '../tee';
import { Proxy } from '../../../wrappers/Proxy';
import { requestJson } from './http';
import type { ProxyTransport } from './transport';

export interface ReceiptLike {
    requestId: string;
    modelHash: string;
    inputHash: string;
    outputHash: string;
    /** The registry the worker bound the receipt to (any address form). */
    registry: string;
    workerKey: string;
    signature: string;
}

export type Check = { ok: true } | { ok: false; reason: string };

function h(v: bigint): string {
    return v.toString(16).padStart(64, '0');
}

/**
 * The receipt must name this request and model, hash exactly the inputs sent and the outputs received, be bound to
 * `registry` (the network the client pays on: a receipt for another network could not slash the worker here), and
 * carry a valid signature by `workerKey` (and `expectedWorkerKey`, when the caller pins one).
 */
export function verifyInferenceReceipt(
    receipt: ReceiptLike,
    sent: { requestId: string; model: string; inputs: unknown },
    outputs: unknown,
    registry: Address,
    expectedWorkerKey?: string,
): Check {
    let inputHash: bigint;
    let outputHash: bigint;
    try {
        // The tensor wire form (inference/codec.ts): what the worker hashed, byte for byte.
        inputHash = hashTensors(toWireMap(sent.inputs));
        outputHash = hashTensors(toWireMap(outputs));
    } catch (err) {
        return { ok: false, reason: `the tensors are malformed: ${(err as Error).message}` };
    }
    return receiptOver(receipt, sent, inputHash, outputHash, registry, expectedWorkerKey);
}

/**
 * The same checks for any endpoint, given the output hash the client recomputed from what it received (a
 * generation's summary hash, an embedding's `hashJson({embeddings, promptTokens})`); the input hash is
 * `hashJson(inputs)` of the signed request.
 */
export function verifyReceiptOver(
    receipt: ReceiptLike,
    sent: { requestId: string; model: string; inputs: unknown },
    outputHash: bigint,
    registry: Address,
    expectedWorkerKey?: string,
): Check {
    return receiptOver(receipt, sent, hashJson(sent.inputs), outputHash, registry, expectedWorkerKey);
}

function receiptOver(
    receipt: ReceiptLike,
    sent: { requestId: string; model: string },
    inputHash: bigint,
    outputHash: bigint,
    registry: Address,
    expectedWorkerKey?: string,
): Check {
    const expected = {
        requestId: BigInt('0x' + sent.requestId),
        modelHash: BigInt('0x' + sent.model),
        inputHash,
        outputHash,
        registry,
    };
    let bound: Address | null = null;
    try {
        bound = Address.parse(receipt.registry);
    } catch {
        bound = null;
    }
    if (!bound || !bound.equals(registry)) return { ok: false, reason: 'the receipt is bound to another registry' };
    if (receipt.requestId !== h(expected.requestId)) return { ok: false, reason: 'the receipt is for another request' };
    if (receipt.modelHash !== h(expected.modelHash)) return { ok: false, reason: 'the receipt is for another model' };
    if (receipt.inputHash !== h(expected.inputHash)) return { ok: false, reason: 'the receipt hashes other inputs' };
    if (receipt.outputHash !== h(expected.outputHash)) return { ok: false, reason: 'the receipt hashes other outputs' };
    if (expectedWorkerKey && receipt.workerKey !== expectedWorkerKey.toLowerCase()) {
        return { ok: false, reason: 'the receipt is signed by another worker' };
    }
    const ok = ed25519Verify(
        buildReceiptCell(expected).hash(),
        Buffer.from(receipt.signature, 'hex'),
        Buffer.from(receipt.workerKey, 'hex'),
    );
    return ok ? { ok: true } : { ok: false, reason: "the receipt's signature does not verify with the worker key" };
}

export type PolicyOptions = Omit<AttestationPolicy, 'registry' | 'role'>;

/**
 * Fetches `/v1/attestation` with a fresh nonce and checks it: the quote binds the presented key and the nonce, the
 * image is on the registry's proxy allow-list, and the key is the one the Proxy contract we pay holds.
 */
export async function verifyProxyAttestation(args: {
    transport: ProxyTransport;
    chain: Chain;
    proxyAddress: Address;
    registry: RegistryView;
    policy?: PolicyOptions;
}): Promise<AttestationVerdict & { publicKey: string }> {
    const nonce = randomBytes(32);
    const res = await requestJson<{ document: AttestationDocument; publicKey: string }>(
        args.transport,
        'GET',
        `/v1/attestation?nonce=${nonce.toString('hex')}`,
    );
    const data = await args.chain.open(Proxy.fromAddress(args.proxyAddress)).getProxyData();
    const contractKey = data.publicKey.toString(16).padStart(64, '0');
    if (res.publicKey.toLowerCase() !== contractKey) {
        return {
            valid: false,
            role: 'proxy',
            error: { code: 'binding', message: 'the attested key is not the key of the Proxy contract' },
            publicKey: res.publicKey,
        };
    }
    const verdict = await verifyAttestation(
        { document: res.document, publicKey: Buffer.from(res.publicKey, 'hex'), nonce },
        { ...args.policy, registry: args.registry, role: 'proxy' },
    );
    return { ...verdict, publicKey: res.publicKey };
}

/** Fetches a worker's announcement from the proxy and checks its signature and its attestation (role worker). */
export async function verifyWorkerAttestation(args: {
    transport: ProxyTransport;
    workerKey: string;
    registry: RegistryView;
    policy?: PolicyOptions;
}): Promise<AttestationVerdict> {
    const { announcement } = await requestJson<{ announcement: SignedAnnouncement }>(
        args.transport,
        'GET',
        `/v1/workers/${args.workerKey}`,
    );
    if (announcement.workerKey.toLowerCase() !== args.workerKey.toLowerCase() || !verifyAnnouncement(announcement)) {
        return {
            valid: false,
            role: 'worker',
            error: { code: 'binding', message: 'the announcement is not signed by this worker key' },
        };
    }
    return verifyAttestation(
        {
            document: announcement.attestation as AttestationDocument,
            publicKey: Buffer.from(args.workerKey, 'hex'),
        },
        { ...args.policy, registry: args.registry, role: 'worker' },
    );
}
