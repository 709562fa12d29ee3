import { randomBytes } from 'node:crypto';
import { toNano } from '@ton/core';
import { Redis } from 'ioredis';
import { SandboxChain } from '../../worker-runtime/src/chain';
import { deployNetwork, Network } from '../fixtures/network';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(area: string): string {
    return `chrysalis-test:${area}:${randomBytes(4).toString('hex')}`;
}

export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
    let cursor = '0';
    do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (batch.length) await redis.del(...batch);
    } while (cursor !== '0');
}

/** The fixture network on a {@link SandboxChain}, plus a helper for governance messages from the owner. */
export async function sandboxNetwork(): Promise<{ net: Network; chain: SandboxChain; admin: typeof adminSend }> {
    const net = await deployNetwork();
    return { net, chain: new SandboxChain(net.blockchain), admin: adminSend };
}

type RegistryMessage = Parameters<Network['registry']['send']>[2];

/** Sends a governance message from the registry owner and fails loudly when the registry refuses it. */
export async function adminSend(net: Network, message: RegistryMessage): Promise<void> {
    const result = await net.registry.send(net.owner.getSender(), { value: toNano('0.1') }, message);
    const tx = result.transactions.find((t) => t.inMessage?.info.dest?.toString() === net.registry.address.toString());
    const d = tx?.description;
    if (!d || d.type !== 'generic' || d.computePhase.type !== 'vm' || !d.computePhase.success) {
        throw new Error(`registry refused ${(message as { $$type?: string } | null)?.$$type}`);
    }
}
