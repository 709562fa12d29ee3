/**
 * `chrysalis proxy recover`: rebuilds the proxy's counters in Redis after Redis was wiped or rolled back (the proxy
 * refuses to serve until then: 503 state_rolled_back). Run it with the proxy stopped, with the same environment as
 * `chrysalis proxy start`, and hand it the vouchers workers and clients kept (`--voucher` files or directories of
 * `.json` files; a worker keeps its latest payout voucher in CHRYSALIS_WORKER_DATA_DIR). Then start the proxy again.
 * See roles/proxy/recovery.ts for what is rebuilt and from what; docs/proxy.md ("Operations") for the procedure.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { ConfigError } from '../errors';
import { closeRedisClient, createRedisClient } from '../queue';
import { PROXY_SCHEMA } from '../roles/proxy';
import { checkPersistence } from '../roles/proxy/persistence';
import { KeptVoucher, recoverLedger, RecoveryError } from '../roles/proxy/recovery';
import { connectNetwork, NETWORK_SCHEMA } from './networkConfig';
import { PROXY_START_SCHEMA } from './proxy';
import { readConfigs, ServeIo } from './serve';

const RECOVER_USAGE = `usage: chrysalis proxy recover [--voucher FILE|DIR]...

With the proxy stopped: raises every counter in Redis to the highest of what the chain says (ClientAccounts' charged
units, WorkerAccounts' paid units), what the given vouchers say (JSON files, or directories of them, each a voucher
or a list of vouchers signed by this proxy) and what Redis still holds; records the recovery time (requests that may
have been signed before it are refused) and commits the new state on chain. Same environment as chrysalis proxy start.`;

/** The settings recover needs: Redis and the proxy's identity, not its models (a function: proxy.ts imports this file). */
function recoverSchema() {
    return { proxyAddress: PROXY_START_SCHEMA.proxyAddress, proxySeed: PROXY_START_SCHEMA.proxySeed };
}

/** Every voucher in the given files and directories (a file holds one voucher object or an array of them). */
export function readVoucherFiles(paths: string[]): KeptVoucher[] {
    const files = paths.flatMap((p) =>
        statSync(p).isDirectory()
            ? readdirSync(p)
                  .filter((f) => f.endsWith('.json'))
                  .map((f) => join(p, f))
            : [p],
    );
    return files.flatMap((file) => {
        let parsed: unknown;
        try {
            parsed = JSON.parse(readFileSync(file, 'utf8'));
        } catch (err) {
            throw new ConfigError(`${file} is not JSON: ${(err as Error).message}`);
        }
        return (Array.isArray(parsed) ? parsed : [parsed]) as KeptVoucher[];
    });
}

export async function runRecover(argv: string[], io: ServeIo = {}): Promise<number> {
    const out = io.out ?? ((text: string) => process.stdout.write(text));
    const err = io.err ?? ((text: string) => process.stderr.write(text));
    const env = io.env ?? process.env;
    let args;
    try {
        args = parseArgs({
            args: argv,
            options: { voucher: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
        });
    } catch (e) {
        err(`chrysalis proxy recover: ${(e as Error).message}\n\n${RECOVER_USAGE}\n`);
        return 2;
    }
    if (args.values.help) {
        out(RECOVER_USAGE + '\n');
        return 0;
    }
    let config;
    let vouchers: KeptVoucher[];
    try {
        config = readConfigs({ proxy: PROXY_SCHEMA, recover: recoverSchema(), network: NETWORK_SCHEMA }, env);
        vouchers = readVoucherFiles(args.values.voucher ?? []);
    } catch (e) {
        if (!(e instanceof ConfigError) && !(e as NodeJS.ErrnoException).code) throw e;
        err(`chrysalis proxy recover: ${(e as Error).message}\n`);
        return 2;
    }
    const { chain, wallet } = await (io.connect ?? connectNetwork)(config.network);
    const redis = createRedisClient(config.proxy.redisUrl);
    try {
        await checkPersistence(redis, config.proxy.allowVolatileRedis);
        const report = await recoverLedger({
            chain,
            redis,
            prefix: config.proxy.prefix,
            proxyAddress: Address.parse(config.recover.proxyAddress),
            proxyKeys: keyPairFromSeed(Buffer.from(config.recover.proxySeed, 'hex')),
            wallet,
            vouchers,
        });
        out(
            `recovered at ${report.recoveredAt}: ${report.clients} client account(s), ${report.workers} worker owner(s), ` +
                `${report.raised.length} counter(s) raised; committed seqno ${report.commitment.seqno}\n`,
        );
        for (const r of report.raised) out(`  ${r.kind} ${r.id}: ${r.fromUnits} -> ${r.toUnits} units\n`);
        for (const why of report.ignored) out(`  ignored ${why}\n`);
        out('start the proxy again: requests signed before the recovery are refused (signed_before_recovery)\n');
        return 0;
    } catch (e) {
        if (e instanceof ConfigError || e instanceof RecoveryError) {
            err(`chrysalis proxy recover: ${e.message}\n`);
            return 1;
        }
        throw e;
    } finally {
        await closeRedisClient(redis);
    }
}
