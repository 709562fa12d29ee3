import { Address, Cell } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { Blockchain, createShardAccount, internal } from '@ton/sandbox';
import { ERR_TIMELOCK_TOO_SHORT, storeScheduleUpgrade, UPGRADE_TIMELOCK } from '../../wrappers/Registry';
import { describeExitCode } from './exitCodes';
import { ADMIN_VALUE } from './registry';
import { messageBody } from './send';

const UINT32_MAX = (1n << 32n) - 1n;

/**
 * The upgrade timelock of the registry deployed at `address`, in seconds. The registry has no getter for it, so this
 * runs the registry's own code and data (read from the chain) in a local emulator at chain time `now`, and finds the
 * least delay its ScheduleUpgrade accepts from its owner: the check is `notBefore >= now() + timelock`, so the answer
 * is monotonic; two emulated messages confirm this build's UPGRADE_TIMELOCK, and a binary search (32) finds any other. An upgraded registry's timelock is read as well as this build's.
 */
export async function readUpgradeTimelock(
    provider: NetworkProvider,
    address: Address,
    owner: Address,
    now: bigint,
): Promise<bigint> {
    const { state, balance } = await provider.provider(address).getState();
    if (state.type !== 'active' || !state.code || !state.data) throw new Error(`no contract at ${address.toString()}`);
    const emulator = await Blockchain.create();
    emulator.now = Number(now);
    await emulator.setShardAccount(
        address,
        createShardAccount({
            address,
            code: Cell.fromBoc(state.code)[0],
            data: Cell.fromBoc(state.data)[0],
            balance,
            workchain: address.workChain,
        }),
    );
    const start = emulator.snapshot();
    const accepts = async (delay: bigint): Promise<boolean> => {
        await emulator.loadFrom(start);
        const body = messageBody(storeScheduleUpgrade, {
            $$type: 'ScheduleUpgrade',
            queryId: 0n,
            code: Cell.EMPTY,
            data: null,
            notBefore: now + delay,
        });
        const result = await emulator.sendMessage(internal({ from: owner, to: address, value: ADMIN_VALUE, body }));
        const tx = result.transactions.find((t) => t.inMessage?.info.dest?.toString() === address.toString());
        const d = tx?.description;
        if (d?.type !== 'generic' || d.computePhase.type !== 'vm') throw new Error('the registry did not run');
        if (d.computePhase.success) return true;
        if (BigInt(d.computePhase.exitCode) === ERR_TIMELOCK_TOO_SHORT) return false;
        throw new Error(
            `the registry refuses ScheduleUpgrade from its owner: ${describeExitCode(d.computePhase.exitCode)}`,
        );
    };
    return leastAccepted(accepts, UPGRADE_TIMELOCK, UINT32_MAX - now);
}

/**
 * The least delay in [0, max] that `accepts` (monotonic: false below the answer, true from it on) takes. The likely
 * answer is confirmed with two calls; otherwise a binary search.
 */
export async function leastAccepted(
    accepts: (delay: bigint) => Promise<boolean>,
    likely: bigint,
    max: bigint,
): Promise<bigint> {
    if (likely > 0n && likely <= max && (await accepts(likely)) && !(await accepts(likely - 1n))) return likely;
    if (!(await accepts(max))) throw new Error('the registry refuses every upgrade time');
    let lo = 0n;
    let hi = max;
    while (lo < hi) {
        const mid = (lo + hi) / 2n;
        if (await accepts(mid)) hi = mid;
        else lo = mid + 1n;
    }
    return lo;
}
