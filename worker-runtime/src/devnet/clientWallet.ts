/**
 * The demo client's wallet: a real WalletContractV4 on the sandbox, so that `get_public_key` answers with the key
 * the client signs requests with (the proxy authenticates clients by their wallet key).
 */
import { Sender, SendMode } from '@ton/core';
import { KeyPair } from '@ton/crypto';
import { WalletContractV4 } from '@ton/ton';
import { Blockchain, SandboxContract, TreasuryContract } from '@ton/sandbox';
import { requireSuccess } from './transactions';

export interface ClientWallet {
    keyPair: KeyPair;
    wallet: SandboxContract<WalletContractV4>;
    /** Sends from the wallet, signed with its key (external messages; the sandbox runs them on the next `send*`). */
    sender: Sender;
}

/** Funds the wallet's address from `funder`, then deploys it with its first (self-addressed, empty) transfer. */
export async function deployClientWallet(
    blockchain: Blockchain,
    funder: SandboxContract<TreasuryContract>,
    keyPair: KeyPair,
    funding: bigint,
): Promise<ClientWallet> {
    const raw = WalletContractV4.create({ workchain: 0, publicKey: keyPair.publicKey });
    const wallet = blockchain.openContract(raw);
    const fund = await funder.send({ to: wallet.address, value: funding, bounce: false });
    requireSuccess(fund, wallet.address, 'funding the client wallet');
    // The sandbox wraps every `send*` member (so `wallet.sender` would come back as a promise): build the sender on
    // the unwrapped contract with a sandbox provider, which deploys the wallet with its first external message.
    const sender = raw.sender(blockchain.provider(raw.address, raw.init), keyPair.secretKey);
    await wallet.sendTransfer({
        seqno: 0,
        secretKey: keyPair.secretKey,
        messages: [],
        sendMode: SendMode.PAY_GAS_SEPARATELY + SendMode.IGNORE_ERRORS,
    });
    if ((await wallet.getSeqno()) !== 1) throw new Error('devnet: the client wallet did not deploy');
    return { keyPair, wallet, sender };
}
