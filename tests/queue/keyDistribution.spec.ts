import { generateX25519KeyPair } from '../../worker-runtime/src/crypto';
import { AttestationRequiredError, SealedPayloadError } from '../../worker-runtime/src/errors';
import { acceptQueueKey, createQueueKey, grantQueueKey } from '../../worker-runtime/src/queue';
import { randomModelHash } from './helpers';

describe('handing the queue key to attested workers', () => {
    const modelHash = randomModelHash();
    const queueKey = createQueueKey();
    const worker = generateX25519KeyPair();

    it('an attested worker unwraps the same queue key inside its TEE', async () => {
        const grant = await grantQueueKey({ queueKey, modelHash, workerPublicKey: worker.publicKey, attested: true });
        expect(grant.queueName).toBe(`model-${modelHash}`);
        expect(grant.wrappedKey.includes(queueKey)).toBe(false);
        expect(acceptQueueKey(grant, worker.privateKey, modelHash).equals(queueKey)).toBe(true);
    });

    it('runs an attestation callback with the worker key and model, and refuses on false', async () => {
        const seen: string[] = [];
        const attested = async (key: Buffer, model: string) => {
            seen.push(`${key.toString('hex')}/${model}`);
            return false;
        };
        await expect(
            grantQueueKey({ queueKey, modelHash, workerPublicKey: worker.publicKey, attested }),
        ).rejects.toThrow(AttestationRequiredError);
        expect(seen).toEqual([`${worker.publicKey.toString('hex')}/${modelHash}`]);
        await expect(
            grantQueueKey({ queueKey, modelHash, workerPublicKey: worker.publicKey, attested: false }),
        ).rejects.toThrow(/is not attested for model-/);
    });

    it('a grant does not open for another worker, or as the key of another model', async () => {
        const grant = await grantQueueKey({ queueKey, modelHash, workerPublicKey: worker.publicKey, attested: true });
        expect(() => acceptQueueKey(grant, generateX25519KeyPair().privateKey)).toThrow(SealedPayloadError);
        const relabelled = { ...grant, queueName: `model-${randomModelHash()}` };
        expect(() => acceptQueueKey(relabelled, worker.privateKey)).toThrow(SealedPayloadError);
        expect(() => acceptQueueKey(grant, worker.privateKey, randomModelHash())).toThrow(SealedPayloadError);
    });
});
