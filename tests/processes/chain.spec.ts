/**
 * The chain of the processes devnet as its own command: `chrysalis devnet chain --deploy` deploys the devnet's network
 * (deployNetwork, as the in-process devnet does) on the sandbox behind the TON API and prints its addresses in one
 * line, which the orchestrator reads. In test:processes: deploying takes a while on a loaded machine.
 */
import { Address } from '@ton/core';
import { TonChain } from '../../worker-runtime/src/chain';
import { CHAIN_READY_MARK, parseChainReady } from '../../worker-runtime/src/devnet/processes/chainReady';
import { startChainProcess } from '../tonapi/chainProcess';

jest.setTimeout(300_000);

test("with --deploy, serves the devnet's network on it and prints its addresses (the processes devnet's chain)", async () => {
    const deployed = await startChainProcess(
        [
            '--deploy',
            '--seed',
            'chain-cli',
            '--workers',
            '1',
            '--models',
            'tiny-mlp',
            '--proxy-endpoint',
            'https://127.0.0.1:1',
        ],
        240_000,
    );
    try {
        const line = deployed
            .output()
            .split('\n')
            .find((l) => l.includes(CHAIN_READY_MARK));
        const ready = parseChainReady(line ?? '')!;
        expect(ready.url).toBe(deployed.url);
        expect(ready.addresses.seed).toBe('chain-cli');
        expect(ready.addresses.workers).toHaveLength(1);
        expect(ready.addresses.proxy.endpoint).toBe('https://127.0.0.1:1');
        // Deployed: the registry and the proxy are active contracts, read through the API.
        const tonChain = new TonChain({ network: 'devnet', endpoint: deployed.url });
        for (const address of [ready.addresses.registry, ready.addresses.proxy.contract]) {
            expect((await tonChain.provider(Address.parse(address)).getState()).state.type).toBe('active');
        }
    } finally {
        expect(await deployed.stop()).toBe(0);
    }
});
