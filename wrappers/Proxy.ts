import { Address, beginCell, Cell } from '@ton/core';
import {
    Proxy,
    NetworkParams,
    storeNetworkParams,
    storeClientAccountConfig,
    storeProxyConfig,
    storeChildCodes,
} from '../build/Proxy/Proxy_Proxy';
import { ClientAccount as EmbeddedClientAccount } from '../build/Proxy/Proxy_ClientAccount';
import { WorkerAccount as EmbeddedWorkerAccount } from '../build/Proxy/Proxy_WorkerAccount';

export * from '../build/Proxy/Proxy_Proxy';

/** What a proxy owner decides at deploy; everything else is derived from the params snapshot. */
export interface ProxyDeployArgs {
    owner: Address;
    /** The proxy's Ed25519 public key (32 bytes). */
    publicKey: Buffer;
    registry: Address;
    proxyId: bigint;
    paramsVersion: bigint;
    params: NetworkParams;
}

/** The ClientAccountConfig cell every ClientAccount of a proxy with these params carries. */
export function clientAccountConfigCell(params: NetworkParams): Cell {
    return beginCell()
        .store(
            storeClientAccountConfig({
                $$type: 'ClientAccountConfig',
                closeDelay: params.clientCloseDelay,
                minStake: params.minClientStake,
            }),
        )
        .endCell();
}

/** The Proxy contract (address and StateInit) for a deploy; send it an empty message with the stake to activate. */
export async function proxyFromArgs(a: ProxyDeployArgs): Promise<Proxy> {
    if (a.publicKey.length !== 32) throw new RangeError('proxy public key must be 32 bytes');
    const paramsCell = beginCell().store(storeNetworkParams(a.params)).endCell();
    const config = beginCell()
        .store(
            storeProxyConfig({
                $$type: 'ProxyConfig',
                registry: a.registry,
                proxyId: a.proxyId,
                paramsVersion: a.paramsVersion,
                params: paramsCell,
                commitSeqno: 0n,
                commitDigest: 0n,
            }),
        )
        .endCell();
    return Proxy.fromInit(
        a.owner,
        BigInt('0x' + a.publicKey.toString('hex')),
        a.params.pricePerToken,
        a.params.workerFeePerToken,
        0n,
        0n,
        0n,
        0n,
        0n,
        0n,
        await childCodesCell(clientAccountConfigCell(a.params)),
        config,
    );
}

/** Hashes and depths of the child code the Proxy embeds (the Proxy checks them against its own at activation). */
export async function childCodesCell(clientConfig: Cell): Promise<Cell> {
    const zero = Address.parseRaw('0:' + '0'.repeat(64));
    const client = (await EmbeddedClientAccount.fromInit(zero, zero, 0n, 0n, 0n, Cell.EMPTY, 0n, 0n, 0n, 0n)).init!
        .code;
    const worker = (await EmbeddedWorkerAccount.fromInit(zero, zero, 0n, 0n)).init!.code;
    return beginCell()
        .store(
            storeChildCodes({
                $$type: 'ChildCodes',
                clientCodeHash: BigInt('0x' + client.hash().toString('hex')),
                clientCodeDepth: BigInt(client.depth()),
                workerCodeHash: BigInt('0x' + worker.hash().toString('hex')),
                workerCodeDepth: BigInt(worker.depth()),
                clientConfig,
            }),
        )
        .endCell();
}

/** Proxy states as stored on chain. */
export const ProxyState = { pending: 0n, active: 1n, closing: 2n, closed: 3n } as const;
