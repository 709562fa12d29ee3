/**
 * The devnet's faucet: a sandbox treasury that sends TON to any address, so that a person can fund a wallet, deploy
 * it and use it. It sends non-bounceable, so the TON stays with an address that has no contract yet.
 */
import { Address, fromNano, toNano } from '@ton/core';
import { Blockchain, SandboxContract, TreasuryContract } from '@ton/sandbox';
import { ChrysalisError } from '../../errors';
import { ChainClock } from './clock';

/** A faucet request that cannot be served: a bad amount, or the transfer did not arrive. */
export class FaucetError extends ChrysalisError {}

/** The most one request may ask for. */
export const FAUCET_MAX = toNano('1000000');
/** The faucet refills itself to this before a transfer that would take it below a reserve. */
const FAUCET_BALANCE = toNano('1000000000');
const FAUCET_SEED = 'chrysalis-devnet-faucet';

export interface Funding {
    address: Address;
    amount: bigint;
    /** The recipient's balance after the transfer. */
    balance: bigint;
    /** The recipient's transaction that received it. */
    lt: bigint;
    hash: Buffer;
}

export class Faucet {
    private treasury: Promise<SandboxContract<TreasuryContract>> | null = null;

    constructor(
        private readonly blockchain: Blockchain,
        private readonly clock: ChainClock,
    ) {}

    /** The faucet's own address (its transfers come from it). */
    async address(): Promise<Address> {
        return (await this.wallet()).address;
    }

    async fund(address: Address, amount: bigint): Promise<Funding> {
        if (amount <= 0n || amount > FAUCET_MAX) {
            throw new FaucetError(`the amount must be more than 0 and at most ${fromNano(FAUCET_MAX)} TON`);
        }
        const treasury = await this.wallet();
        const account = await this.blockchain.getContract(treasury.address);
        // A devnet's faucet never runs dry.
        if (account.balance < amount + toNano('1')) account.balance = FAUCET_BALANCE;
        this.clock.tick();
        const result = await treasury.send({ to: address, value: amount, bounce: false });
        const received = result.transactions.find((tx) => {
            const info = tx.inMessage?.info;
            return info?.type === 'internal' && info.dest.equals(address) && info.src.equals(treasury.address);
        });
        if (!received) throw new FaucetError(`the transfer to ${address.toString()} did not arrive`);
        const recipient = await this.blockchain.getContract(address);
        return { address, amount, balance: recipient.balance, lt: received.lt, hash: received.hash() };
    }

    private wallet(): Promise<SandboxContract<TreasuryContract>> {
        this.treasury ??= this.blockchain.treasury(FAUCET_SEED, { balance: FAUCET_BALANCE });
        return this.treasury;
    }
}
