/**
 * A blueprint NetworkProvider backed by the sandbox chain, enough for the billing scripts: sender, open, provider,
 * deploy checks, and a UI that records what the script wrote.
 */
import { NetworkProvider, UIProvider } from '@ton/blueprint';
import { Address, Cell, Contract, ContractProvider, OpenedContract, SenderArguments } from '@ton/core';
import { Blockchain, SandboxContract, TreasuryContract } from '@ton/sandbox';

export class RecordingUI {
    readonly lines: string[] = [];
    write(message: string): void {
        this.lines.push(message);
    }
    async prompt(): Promise<boolean> {
        return true;
    }
    async inputAddress(): Promise<Address> {
        throw new Error('scripts take arguments, not prompts');
    }
    async input(): Promise<string> {
        throw new Error('scripts take arguments, not prompts');
    }
    async choose<T>(): Promise<T> {
        throw new Error('scripts take arguments, not prompts');
    }
    setActionPrompt(): void {}
    clearActionPrompt(): void {}
}

export function sandboxProvider(
    blockchain: Blockchain,
    wallet: SandboxContract<TreasuryContract>,
): { provider: NetworkProvider; ui: RecordingUI } {
    const ui = new RecordingUI();
    // A sandbox Sender only queues its message until the next wrapper call; send through the opened wallet instead so
    // that a script's direct sender().send() is executed at once, as on a real network.
    const sender = {
        address: wallet.address,
        send: async (args: SenderArguments) => {
            await wallet.send(args);
        },
    };
    const isDeployed = async (address: Address) =>
        (await blockchain.getContract(address)).accountState?.type === 'active';
    const provider = {
        network: () => 'custom',
        explorer: () => 'tonviewer',
        sender: () => sender,
        api: () => {
            throw new Error('no API client in sandbox');
        },
        provider: (address: Address, init?: { code?: Cell; data?: Cell }): ContractProvider =>
            blockchain.provider(address, init?.code && init?.data ? { code: init.code, data: init.data } : undefined),
        isContractDeployed: isDeployed,
        waitForDeploy: async (address: Address) => {
            if (!(await isDeployed(address))) throw new Error(`${address.toString()} was not deployed`);
        },
        waitForLastTransaction: async () => {},
        getContractState: async () => {
            throw new Error('not available in sandbox');
        },
        getConfig: async () => {
            throw new Error('not available in sandbox');
        },
        deploy: async () => {
            throw new Error('use open() and send');
        },
        open: <T extends Contract>(contract: T): OpenedContract<T> =>
            blockchain.openContract(contract) as unknown as OpenedContract<T>,
        ui: () => ui as unknown as UIProvider,
    };
    return { provider: provider as unknown as NetworkProvider, ui };
}
