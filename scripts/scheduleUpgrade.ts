import { Cell } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { readFileSync } from 'node:fs';
import { storeScheduleUpgrade } from '../wrappers/Registry';
import { ScriptArgsError } from './lib/args';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';
import { chainTimeAtLeast } from './lib/trace';
import { readUpgradeTimelock } from './lib/timelock';

/** Time for the owner (or a multisig's co-signers) to confirm before the message reaches the chain. */
export const CONFIRMATION_MARGIN = 600n;

/**
 * ScheduleUpgrade: --code <file.boc> (e.g. build/Registry/Registry_Registry.code.boc), optional --data <file.boc>,
 * --not-before <unix time> (default: now — the wall clock, or the registry's last transaction if later — + the
 * timelock of the deployed registry, read from its `upgradeTimelock` getter, + 600 s to confirm). An earlier
 * time is refused here, as the registry would refuse it (ERR_TIMELOCK_TOO_SHORT).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        code: { describe: 'New code (path to a .boc file)' },
        data: { describe: 'New data (path to a .boc file)', optional: true },
        'not-before': { describe: 'Not before (unix time)', optional: true },
    };
    await governanceMessage(provider, argv, spec, 'ScheduleUpgrade', async (args, registry) => {
        const code = readCell('code', await args.string('code'));
        const data = args.has('data') ? readCell('data', await args.string('data')) : null;
        const now = await chainTimeAtLeast(provider, registry.address);
        const timelock = await readUpgradeTimelock(provider, registry.address);
        const notBefore = args.has('not-before') ? await args.uint('not-before') : now + timelock + CONFIRMATION_MARGIN;
        if (notBefore < now + timelock) {
            throw new ScriptArgsError(
                `--not-before ${notBefore} is earlier than now + the registry's timelock (${timelock} s): ` +
                    `the registry would refuse it (ERR_TIMELOCK_TOO_SHORT)`,
            );
        }
        provider.ui().write(`upgrade to code ${code.hash().toString('hex')} not before ${notBefore}`);
        return messageBody(storeScheduleUpgrade, { $$type: 'ScheduleUpgrade', queryId: 0n, code, data, notBefore });
    });
}

function readCell(name: string, path: string): Cell {
    try {
        return Cell.fromBoc(readFileSync(path))[0];
    } catch (err) {
        throw new ScriptArgsError(`--${name}: cannot read a BoC from ${path}: ${(err as Error).message}`);
    }
}
