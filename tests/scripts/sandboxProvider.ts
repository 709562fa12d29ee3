import { Blockchain, SandboxContract, TreasuryContract } from '@ton/sandbox';
import { Address, Cell, Contract, ContractProvider, OpenedContract, Sender, SenderArguments } from '@ton/core';
import { NetworkProvider, UIProvider } from '@ton/blueprint';

/** A UI that answers prompts from a script and records what the script printed. */
export class ScriptedUI implements UIProvider {
    readonly written: string[] = [];
    readonly asked: string[] = [];
    /**
     * Whether the scripts may ask (scripts/lib/args.ts reads it): a UI given answers plays a terminal, one without
     * plays a closed stdin, where a missing argument must be an error.
     */
    readonly interactive: boolean;
    constructor(
        private readonly answers: string[] = [],
        interactive = answers.length > 0,
    ) {
        this.interactive = interactive;
    }
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
        private readonly networkName: 'mainnet' | 'testnet' | 'custom' = 'custom',
    ) {}
    network() {
        return this.networkName;
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
        const provider = this.blockchain.provider(
            address,
            init?.code && init?.data ? { code: init.code, data: init.data } : null,
        );
        // @ton/sandbox 0.41 reverses its transaction list in place on every call and throws whenever lt and hash are
        // passed (its hash comparison is by reference); the scripts page through an account's transactions as on a
        // real network, newest first from a given one.
        provider.getTransactions = async (of: Address, lt: bigint, hash: Buffer, limit?: number) => {
            const all = [...(await this.blockchain.getTransactions(of))].sort((a, b) =>
                a.lt === b.lt ? 0 : a.lt > b.lt ? -1 : 1,
            );
            const start = all.findIndex((tx) => tx.lt === lt && tx.hash().equals(hash));
            if (start < 0) throw new Error(`transaction ${lt} of ${of.toString()} not found`);
            return all.slice(start, limit === undefined ? undefined : start + limit);
        };
        return provider;
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
