import { ConfigError, InvalidInputError } from '../../worker-runtime/src/errors';
import {
    DEFAULT_QUEUE_CONFIG,
    loadQueueConfig,
    modelHashFromQueueName,
    queueNameForModel,
    validateRequestId,
} from '../../worker-runtime/src/queue';

describe('queue configuration', () => {
    it('has documented defaults', () => {
        const config = loadQueueConfig({}, {});
        expect(config).toEqual(DEFAULT_QUEUE_CONFIG);
        expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
        expect(config.concurrency).toBe(1);
    });

    it('reads REDIS_URL, CHRYSALIS_QUEUE_PREFIX and CHRYSALIS_QUEUE_CONCURRENCY; explicit overrides win', () => {
        const env = {
            REDIS_URL: 'redis://10.0.0.2:6380/1',
            CHRYSALIS_QUEUE_PREFIX: 'prod',
            CHRYSALIS_QUEUE_CONCURRENCY: '16',
        };
        expect(loadQueueConfig({}, env)).toMatchObject({ redisUrl: env.REDIS_URL, prefix: 'prod', concurrency: 16 });
        expect(loadQueueConfig({ concurrency: 2, prefix: undefined }, env)).toMatchObject({
            concurrency: 2,
            prefix: 'prod',
        });
    });

    it('names the bad setting', () => {
        expect(() => loadQueueConfig({ concurrency: 0 }, {})).toThrow(ConfigError);
        expect(() => loadQueueConfig({ concurrency: 0 }, {})).toThrow(/concurrency must be an integer >= 1, got 0/);
        expect(() => loadQueueConfig({ attempts: 1.5 }, {})).toThrow(/attempts/);
        expect(() => loadQueueConfig({ redisUrl: 'localhost:6379' }, {})).toThrow(/redisUrl must start with redis/);
        expect(() => loadQueueConfig({ prefix: 'has space' }, {})).toThrow(/prefix/);
        expect(() => loadQueueConfig({}, { CHRYSALIS_QUEUE_CONCURRENCY: 'many' })).toThrow(
            /CHRYSALIS_QUEUE_CONCURRENCY must be an integer/,
        );
        expect(loadQueueConfig({ maxStalledCount: 0, removeOnCompleteCount: 0 }, {}).maxStalledCount).toBe(0);
    });
});

describe('queue and request naming', () => {
    const hash = 'AB'.repeat(32);

    it('one queue per model hash, from hex or bytes', () => {
        expect(queueNameForModel(hash)).toBe(`model-${'ab'.repeat(32)}`);
        expect(queueNameForModel(`0x${hash}`)).toBe(queueNameForModel(Buffer.from(hash, 'hex')));
        expect(modelHashFromQueueName(queueNameForModel(hash))).toBe('ab'.repeat(32));
    });

    it('refuses malformed model hashes and request ids with clear errors', () => {
        expect(() => queueNameForModel('abc')).toThrow(InvalidInputError);
        expect(() => queueNameForModel(Buffer.alloc(31))).toThrow(/32 bytes/);
        expect(() => modelHashFromQueueName('queue-x')).toThrow(/not a model queue name/);
        expect(validateRequestId('9f1c-req_1.a')).toBe('9f1c-req_1.a');
        for (const bad of ['', '123', 'a:b', 'x'.repeat(129), 42, null]) {
            expect(() => validateRequestId(bad)).toThrow(/requestId must be/);
        }
    });
});
