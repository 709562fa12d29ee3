import { ConfigError } from '../../worker-runtime/src/errors';
import {
    boolSetting,
    describeSchema,
    enumSetting,
    intSetting,
    readConfig,
    stringSetting,
} from '../../worker-runtime/src/config/schema';

const schema = {
    redisUrl: stringSetting('REDIS_URL', 'Redis to use', 'redis://127.0.0.1:6379'),
    port: intSetting('PORT', 'HTTP port', 8080, 1),
    verbose: boolSetting('VERBOSE', 'log more', false),
    network: enumSetting('NETWORK', 'which chain', ['sandbox', 'testnet'] as const, 'sandbox'),
    secret: stringSetting('SECRET', 'a required secret'),
};

describe('configuration', () => {
    it('applies defaults and parses values', () => {
        const config = readConfig(schema, { SECRET: 's', PORT: '9000', VERBOSE: 'yes' });
        expect(config).toEqual({
            redisUrl: 'redis://127.0.0.1:6379',
            port: 9000,
            verbose: true,
            network: 'sandbox',
            secret: 's',
        });
    });

    it('reports every problem at once, naming the variables', () => {
        let error: unknown;
        try {
            readConfig(schema, { PORT: 'abc', NETWORK: 'mainnet', VERBOSE: 'perhaps' });
        } catch (err) {
            error = err;
        }
        expect(error).toBeInstanceOf(ConfigError);
        const message = (error as Error).message;
        for (const name of ['PORT', 'NETWORK', 'VERBOSE', 'SECRET']) expect(message).toContain(name);
    });

    it('prefers explicit overrides to the environment', () => {
        expect(readConfig(schema, { SECRET: 'env', PORT: '1' }, { port: 2 }).port).toBe(2);
    });

    it('describes itself as a Markdown table', () => {
        const table = describeSchema(schema);
        expect(table).toContain('| `PORT` | `8080` | HTTP port |');
        expect(table).toContain('| `SECRET` | (required) |');
    });
});
