/**
 * Which ClientAccount a wallet holds at a proxy. Each OpenClientAccount carries an `opening` (a time the client
 * chose) that is part of the account's init data, so every opening is an account at an address of its own; the
 * latest one the wallet sent is found in the wallet's own outgoing messages, newest first.
 */
import { Address, Transaction } from '@ton/core';
import { Chain, hashToBuffer, TxId } from '../chain';
import { loadOpenClientAccount } from '../../../build/Proxy/Proxy_Proxy';

/** How many of the wallet's latest transactions are searched for its last OpenClientAccount. */
export const OPENING_SEARCH_LIMIT = 256;

/** The `opening` of the latest OpenClientAccount `wallet` sent to `proxy`, or null when none is found. */
export async function latestOpening(
    chain: Chain,
    wallet: Address,
    proxy: Address,
    limit = OPENING_SEARCH_LIMIT,
): Promise<bigint | null> {
    let from: TxId | null = await chain.lastTransaction(wallet);
    const pageSize = 32;
    let seen = 0;
    while (from && seen < limit) {
        const page: Transaction[] = await chain.transactionsFrom(wallet, from, pageSize);
        for (const tx of page) {
            for (const msg of tx.outMessages.values()) {
                if (msg.info.type !== 'internal' || !msg.info.dest.equals(proxy)) continue;
                try {
                    return loadOpenClientAccount(msg.body.beginParse()).opening;
                } catch {
                    // Another message to the proxy.
                }
            }
        }
        seen += page.length;
        const oldest = page[page.length - 1];
        from =
            page.length === pageSize && oldest && oldest.prevTransactionLt !== 0n
                ? { lt: oldest.prevTransactionLt, hash: hashToBuffer(oldest.prevTransactionHash) }
                : null;
    }
    return null;
}
