import { Address } from '@ton/core';
import { WorkerAccount } from '../build/WorkerAccount/WorkerAccount_WorkerAccount';

export * from '../build/WorkerAccount/WorkerAccount_WorkerAccount';

/** The WorkerAccount of `owner` at `proxy` (its StateInit deploys it with the first payout). */
export function workerAccountFor(proxy: Address, owner: Address, proxyPublicKey: Buffer): Promise<WorkerAccount> {
    return WorkerAccount.fromInit(proxy, owner, BigInt('0x' + proxyPublicKey.toString('hex')), 0n);
}
