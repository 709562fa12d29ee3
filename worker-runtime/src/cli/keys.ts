/**
 * `chrysalis keys new --out <file> [--force]` makes the Ed25519 key of a worker or proxy where it runs (inside the TEE):
 * the 32-byte seed goes to <file> as hex, readable by its owner only (0600), and only the public key is printed, which
 * is what the registry, the stake and the Proxy contract need. `chrysalis keys show <file>` prints the public key of
 * a seed file again. Exit codes: 0 done, 1 the file could not be written or read, 2 usage.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { keyPairFromSeed } from '@ton/crypto';

const USAGE = `usage: chrysalis keys new --out <seed file> [--force] [--json]
       chrysalis keys show <seed file> [--json]

new   makes an Ed25519 key here, writes its 32-byte seed (hex) to the file with mode 0600 and prints the public key.
      Give the seed to the worker or proxy as CHRYSALIS_WORKER_SEED / CHRYSALIS_PROXY_SEED ("$(cat <file>)");
      the public key is what registerWorker (--key) and deployProxy / registerProxy (--public-key) take.
show  prints the public key of an existing seed file.`;

class UsageError extends Error {}

function publicKeyOf(seed: Buffer): string {
    return Buffer.from(keyPairFromSeed(seed).publicKey).toString('hex');
}

function readSeed(file: string): Buffer {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new Error(`${file} does not hold a 32-byte seed in hex (64 hex digits)`);
    return Buffer.from(text, 'hex');
}

function print(publicKey: string, file: string, json: boolean): void {
    process.stdout.write(json ? `${JSON.stringify({ publicKey, seedFile: file })}\n` : `${publicKey}\n`);
}

export async function run(argv: string[]): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            strict: true,
            options: {
                out: { type: 'string' },
                force: { type: 'boolean', default: false },
                json: { type: 'boolean', default: false },
                help: { type: 'boolean', short: 'h', default: false },
            },
        });
    } catch (err) {
        process.stderr.write(`chrysalis keys: ${(err as Error).message}\n\n${USAGE}\n`);
        return 2;
    }
    const { values, positionals } = parsed;
    const [command, ...rest] = positionals;
    if (values.help || command === 'help') {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    try {
        if (command === 'new') {
            if (!values.out || rest.length) throw new UsageError('new needs --out <seed file> and nothing else');
            const seed = randomBytes(32);
            // 'wx' refuses to replace an existing key (that would lose a bonded worker's key) unless --force.
            fs.writeFileSync(values.out, `${seed.toString('hex')}\n`, { mode: 0o600, flag: values.force ? 'w' : 'wx' });
            fs.chmodSync(values.out, 0o600); // an existing file overwritten with --force keeps its mode otherwise
            print(publicKeyOf(seed), values.out, values.json);
            return 0;
        }
        if (command === 'show') {
            if (rest.length !== 1) throw new UsageError('show needs exactly one seed file');
            print(publicKeyOf(readSeed(rest[0])), rest[0], values.json);
            return 0;
        }
        throw new UsageError(command ? `unknown command ${command}` : 'missing command');
    } catch (err) {
        if (err instanceof UsageError) {
            process.stderr.write(`chrysalis keys: ${err.message}\n\n${USAGE}\n`);
            return 2;
        }
        const e = err as NodeJS.ErrnoException;
        const why = e.code === 'EEXIST' ? `${values.out} exists already (--force replaces it)` : e.message;
        process.stderr.write(`chrysalis keys: ${why}\n`);
        return 1;
    }
}
