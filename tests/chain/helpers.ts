import { SandboxChain } from '../../worker-runtime/src/chain';
import { deployNetwork, Network } from '../fixtures/network';
import { adminSend } from '../fixtures/workerNetwork';

export { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../fixtures/redis';
export { adminSend } from '../fixtures/workerNetwork';

/** The fixture network on a {@link SandboxChain}, plus a helper for governance messages from the owner. */
export async function sandboxNetwork(): Promise<{ net: Network; chain: SandboxChain; admin: typeof adminSend }> {
    const net = await deployNetwork();
    return { net, chain: new SandboxChain(net.blockchain), admin: adminSend };
}
