import { Address, beginCell, Builder, Cell, fromNano, StateInit, storeStateInit, Transaction } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { ArgSpec, ScriptArgs } from './args';
import { followTrace, lastTransaction } from './trace';

/** The argument every sending script takes: a multisig (or any other wallet) signs what is printed. */
export const SEND_ARGS: ArgSpec = {
    'print-message': {
        flag: true,
        describe: 'print destination, value, body and a ton://transfer link for another wallet instead of sending',
    },
};

export interface OutgoingMessage {
    to: Address;
    value: bigint;
    body: Cell;
    init?: StateInit;
    /** Default true; false for a deployment to an address that has no contract yet. */
    bounce?: boolean;
}

/** The body of a message from the generated wrapper's `store<Message>` builder. */
export function messageBody<T>(store: (src: T) => (b: Builder) => void, message: T): Cell {
    return beginCell().store(store(message)).endCell();
}

/**
 * Sends `msg` from the provider's wallet, waits for the wallet's transaction and every transaction it causes, and
 * says `what` went through — or throws with the refusing contract and its exit code by name. With --print-message it
 * sends nothing and prints the message (see printMessage); the result then says so.
 */
export async function submit(
    provider: NetworkProvider,
    args: ScriptArgs,
    what: string,
    msg: OutgoingMessage,
): Promise<{ sent: false } | { sent: true; transactions: Transaction[] }> {
    const ui = provider.ui();
    if (args.flag('print-message')) {
        for (const line of printMessage(msg, provider.network() === 'testnet')) ui.write(line);
        return { sent: false };
    }
    const wallet = provider.sender().address;
    if (!wallet) throw new Error('the wallet has no address: connect it first');
    const since = await lastTransaction(provider, wallet);
    await provider.sender().send({
        to: msg.to,
        value: msg.value,
        body: msg.body,
        init: msg.init,
        bounce: msg.bounce ?? true,
    });
    const transactions = await followTrace(provider, what, wallet, since, msg.to, msg.body);
    ui.write(`${what}: done (${transactions.length} transactions)`);
    return { sent: true, transactions };
}

/**
 * What a multisig owner needs to propose the message: destination, value, body (BoC, base64), state init if any, and
 * the same as a `ton://transfer` link (amount in nanoTON, `bin` and `init` in URL-safe base64), which wallets open.
 */
export function printMessage(msg: OutgoingMessage, testnet: boolean): string[] {
    const to = msg.to.toString({ bounceable: msg.bounce ?? true, testOnly: testnet });
    const body = msg.body.toBoc();
    const init = msg.init ? beginCell().store(storeStateInit(msg.init)).endCell().toBoc() : undefined;
    const query = [`amount=${msg.value}`, `bin=${body.toString('base64url')}`];
    if (init) query.push(`init=${init.toString('base64url')}`);
    return [
        `destination ${to}`,
        `value       ${fromNano(msg.value)} TON (${msg.value} nanoTON)`,
        `body        ${body.toString('base64')}`,
        ...(init ? [`init        ${init.toString('base64')}`] : []),
        `link        ton://transfer/${to}?${query.join('&')}`,
    ];
}
