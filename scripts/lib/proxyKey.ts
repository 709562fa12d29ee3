import { keyPairFromSeed, KeyPair } from '@ton/crypto';
import { ArgSpec, parseHexBytes, ScriptArgs } from './args';

const ENV = 'CHRYSALIS_PROXY_SEED';

export const PROXY_SEED_ARG: ArgSpec = {
    seed: { describe: `Proxy key seed (64 hex digits; or set ${ENV})`, optional: true },
};

/**
 * The proxy's Ed25519 key pair from its 32-byte seed: --seed, else CHRYSALIS_PROXY_SEED (which keeps the secret out of
 * the shell history), else prompted.
 */
export async function proxyKeys(args: ScriptArgs): Promise<KeyPair> {
    const fromEnv = process.env[ENV];
    const seed =
        args.has('seed') || fromEnv === undefined
            ? await args.bytes('seed', 32)
            : parseHexBytes(ENV, fromEnv.trim(), 32);
    return keyPairFromSeed(seed);
}
