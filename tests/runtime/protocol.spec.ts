import { createHash } from 'node:crypto';
import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { canonicalJson, hashJson } from '../../worker-runtime/src/protocol/canonical';
import {
    signAnnouncement,
    signGrant,
    verifyAnnouncement,
    verifyGrant,
} from '../../worker-runtime/src/protocol/announcement';
import {
    ACCOUNT_HEADER,
    BODY_HASH_HEADER,
    encodeRequestBody,
    requestDigest,
    SIGNATURE_HEADER,
    signRequest,
    verifyRequestSignature,
} from '../../worker-runtime/src/protocol/request';

const client = keyPairFromSeed(Buffer.alloc(32, 7));
const stranger = keyPairFromSeed(Buffer.alloc(32, 8));
const account = new Address(0, Buffer.alloc(32, 1));

function request() {
    return {
        requestId: 'ab'.repeat(32),
        model: 'cd'.repeat(32),
        inputs: { x: { type: 'float32', dims: [1, 2], data: [0.5, -1] } },
        account: account.toString(),
        validUntil: 1_900_000_000,
    };
}

describe('canonical JSON', () => {
    it('sorts keys at every depth and ignores insertion order', () => {
        expect(canonicalJson({ b: 1, a: { d: [1, 2], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,2]},"b":1}');
        expect(hashJson({ a: 1, b: 2 })).toBe(hashJson({ b: 2, a: 1 }));
    });

    it('writes bigints and typed arrays like their JSON counterparts', () => {
        expect(canonicalJson({ n: 12345678901234567890n })).toBe('{"n":"12345678901234567890"}');
        expect(canonicalJson(new Float32Array([0.5, 2]))).toBe('[0.5,2]');
    });

    it('writes numeric arrays exactly as JSON.stringify writes each number', () => {
        const numbers = [-0, 0, 1e21, 1e-7, 5e-324, 1.5, -2.25e300, 0.1 + 0.2, 2 ** 53 + 2];
        expect(canonicalJson(numbers)).toBe(`[${numbers.map((n) => JSON.stringify(n)).join(',')}]`);
        const f32 = new Float32Array([0.1, -0, 3.4e38, 1e-45]);
        expect(canonicalJson(f32)).toBe(`[${Array.from(f32, (n) => JSON.stringify(n)).join(',')}]`);
        expect(canonicalJson([1, NaN, Infinity])).toBe('[1,"NaN","Infinity"]');
        expect(canonicalJson(new BigInt64Array([1n, -2n]))).toBe('["1","-2"]');
        expect(canonicalJson([1, '2', [3]])).toBe('[1,"2",[3]]');
    });

    it('distinguishes different tensors', () => {
        expect(hashJson({ data: [1, 2] })).not.toBe(hashJson({ data: [2, 1] }));
    });
});

describe('signed inference requests', () => {
    it('verifies with the client key and not with another', () => {
        const signed = signRequest(request(), client.secretKey);
        const signature = signed.headers[SIGNATURE_HEADER];
        expect(verifyRequestSignature(signed.body, signature, client.publicKey)).toBe(true);
        expect(verifyRequestSignature(signed.body, signature, stranger.publicKey)).toBe(false);
        expect(signed.headers[ACCOUNT_HEADER]).toBe(account.toString());
        expect(signed.headers[BODY_HASH_HEADER]).toBe(createHash('sha256').update(signed.body).digest('hex'));
    });

    it('covers the body bytes exactly: any change after signing fails', () => {
        const signed = signRequest(request(), client.secretKey);
        const signature = signed.headers[SIGNATURE_HEADER];
        const tampered = [
            signed.body.replace('"requestId":"ab', '"requestId":"ac'),
            signed.body.replace(/"validUntil":\d+/, '"validUntil":1'),
            signed.body + ' ',
            JSON.stringify(JSON.parse(signed.body), null, 1),
        ];
        for (const t of tampered) expect(verifyRequestSignature(t, signature, client.publicKey)).toBe(false);
    });

    it('is a domain-separated hash of the body hash', () => {
        const body = encodeRequestBody(request());
        const inner = createHash('sha256').update(body).digest();
        const expected = createHash('sha256').update('chrysalis/request/v2\0').update(inner).digest();
        expect(requestDigest(body).equals(expected)).toBe(true);
        expect(requestDigest(Buffer.from(body)).equals(expected)).toBe(true);
    });

    it('rejects a malformed signature without throwing', () => {
        const signed = signRequest(request(), client.secretKey);
        expect(verifyRequestSignature(signed.body, 'zz', client.publicKey)).toBe(false);
    });
});

describe('worker announcements and queue-key grants', () => {
    const worker = keyPairFromSeed(Buffer.alloc(32, 9));
    const proxy = keyPairFromSeed(Buffer.alloc(32, 10));
    const announcement = {
        workerKey: worker.publicKey.toString('hex'),
        sealingKey: '11'.repeat(32),
        modelHash: '22'.repeat(32),
        owner: account.toString(),
        attestation: { kind: 'simulated', quote: 'AA==' },
        issuedAt: 1_800_000_000,
    };

    it('an announcement verifies only with its own worker key and unmodified', () => {
        const signed = signAnnouncement(announcement, worker.secretKey);
        expect(verifyAnnouncement(signed)).toBe(true);
        expect(verifyAnnouncement({ ...signed, sealingKey: '33'.repeat(32) })).toBe(false);
        expect(verifyAnnouncement({ ...signed, workerKey: stranger.publicKey.toString('hex') })).toBe(false);
        expect(verifyAnnouncement({ ...signed, workerKey: 'nothex' })).toBe(false);
    });

    it('a grant verifies only with the proxy key that signed it', () => {
        const grant = signGrant(
            {
                workerKey: announcement.workerKey,
                modelHash: announcement.modelHash,
                keyVersion: 1,
                wrappedKey: '00',
                issuedAt: 1,
            },
            proxy.secretKey,
        );
        expect(verifyGrant(grant, proxy.publicKey)).toBe(true);
        expect(verifyGrant(grant, worker.publicKey)).toBe(false);
        expect(verifyGrant({ ...grant, keyVersion: 2 }, proxy.publicKey)).toBe(false);
    });
});
