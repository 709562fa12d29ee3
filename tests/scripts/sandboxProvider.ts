import { Blockchain, SandboxContract, TreasuryContract } from '@ton/sandbox';
import { Address, Cell, Contract, ContractProvider, OpenedContract, Sender, SenderArguments } from '@ton/core';
import { NetworkProvider, UIProvider } from '@ton/blueprint';

/** A UI that answers prompts from a script and records what the script printed. */
export class ScriptedUI implements UIProvider {
    readonly written: string[] = [];
    readonly asked: string[] = [];
    constructor(private readonly answers: string[] = []) {}
    write(message: string): void {
        this.written.push(message);
    }
    async prompt(message: string): Promise<boolean> {
        return (await this.input(message)) === 'y';
    }
    async inputAddress(message: string): Promise<Address> {
        return Address.parse(await this.input(message));
    }
    async input(message: string): Promise<string> {
        this.asked.push(message);
        const answer = this.answers.shift();
        if (answer === undefined) throw new Error(`unexpected prompt: ${message}`);
        return answer;
    }
    async choose<T>(message: string, choices: T[], display: (v: T) => string): Promise<T> {
        const answer = await this.input(message);
        const found = choices.find((c) => display(c) === answer);
        if (found === undefined) throw new Error(`no choice '${answer}' for: ${message}`);
        return found;
    }
    setActionPrompt(): void {}
    clearActionPrompt(): void {}
}

/**
 * Blueprint's NetworkProvider over a sandbox Blockchain, sending from one treasury wallet; the registry, stake and
 * billing script specs all run through it.
 */
export class SandboxNetworkProvider implements NetworkProvider {
    constructor(
        private readonly blockchain: Blockchain,
        private readonly wallet: SandboxContract<TreasuryContract>,
        private readonly scriptedUI: ScriptedUI = new ScriptedUI(),
    ) {}
    network() {
        return 'custom' as const;
    }
    explorer() {
        return 'tonviewer' as const;
    }
    sender(): Sender {
        // A sandbox Sender only queues its message until the next wrapper call; sending through the opened wallet runs
        // a script's direct sender().send() at once, as a real network would.
        return {
            address: this.wallet.address,
            send: async (args: SenderArguments) => {
                await this.wallet.send(args);
            },
        };
    }
    api(): never {
        throw new Error('the sandbox provider has no HTTP API');
    }
    provider(address: Address, init?: { code?: Cell; data?: Cell }): ContractProvider {
        return this.blockchain.provider(
            address,
            init?.code && init?.data ? { code: init.code, data: init.data } : null,
        );
    }
    async isContractDeployed(address: Address): Promise<boolean> {
        return (await this.blockchain.getContract(address)).accountState?.type === 'active';
    }
    async waitForDeploy(address: Address): Promise<void> {
        if (!(await this.isContractDeployed(address))) throw new Error(`${address.toString()} was not deployed`);
    }
    async waitForLastTransaction(): Promise<void> {}
    async getContractState(address: Address) {
        return this.blockchain.provider(address).getState();
    }
    getConfig(): never {
        throw new Error('getConfig is not available in the sandbox provider');
    }
    async deploy(contract: Contract, value: bigint, body?: Cell): Promise<void> {
        const opened = this.blockchain.openContract(contract);
        await this.wallet.send({ to: opened.address, value, body, init: contract.init ?? undefined });
    }
    open<T extends Contract>(contract: T): OpenedContract<T> {
        return this.blockchain.openContract(contract) as unknown as OpenedContract<T>;
    }
    ui(): ScriptedUI {
        return this.scriptedUI;
    }
}
