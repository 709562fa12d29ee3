import { Address } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { Registry } from '../../wrappers/Registry';

/**
 * The upgrade timelock of the registry deployed at `address`, in seconds, from its `upgradeTimelock` getter: the
 * deployed code answers, so an upgraded registry's timelock is read as well as this build's.
 */
export async function readUpgradeTimelock(provider: NetworkProvider, address: Address): Promise<bigint> {
    const { state } = await provider.provider(address).getState();
    if (state.type !== 'active') throw new Error(`no contract at ${address.toString()}`);
    try {
        return await provider.open(Registry.fromAddress(address)).getUpgradeTimelock();
    } catch (err) {
        throw new Error(
            `the contract at ${address.toString()} has no upgradeTimelock getter (not a registry of this build?): ` +
                (err as Error).message,
        );
    }
}
