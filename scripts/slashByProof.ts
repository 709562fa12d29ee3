import { readFileSync } from 'node:fs';
import { NetworkProvider } from '@ton/blueprint';
import { STAKE_SLASH_PROOF_FEE, storeSlashByProof } from '../wrappers/WorkerStake';
import { verifyReceipt } from '../worker-runtime/src/protocol/receipt';
import { ReadReceipt, receiptFromFile } from '../worker-runtime/src/protocol/receiptFile';
import { ScriptArgs, ScriptArgsError } from './lib/args';
import { openStake, STAKE_ARGS } from './lib/registry';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/**
 * SlashByProof (anyone): two receipts signed by the worker of --stake (or --registry and --key) for the same request
 * with different outputs, as receipt files (--receipt-a, --receipt-b; format in
 * worker-runtime/src/protocol/receiptFile.ts). The reporter gets the bounty. The proof is checked here first, as the
 * stake will check it, so that a wrong file costs nothing.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        ...STAKE_ARGS,
        'receipt-a': { describe: 'First receipt file (JSON: receipt BoC base64, signature hex)' },
        'receipt-b': { describe: 'Second receipt file, same request, another output' },
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const a = readReceipt('receipt-a', await args.string('receipt-a'));
    const b = readReceipt('receipt-b', await args.string('receipt-b'));
    const stake = await openStake(provider, args);
    const state = await stake.getState();
    const workerKey = Buffer.from(state.workerKey.toString(16).padStart(64, '0'), 'hex');
    if (a.receipt.requestId !== b.receipt.requestId) {
        throw new ScriptArgsError('the receipts are for different requests: no conflict to prove');
    }
    if (a.receipt.modelHash !== b.receipt.modelHash) {
        throw new ScriptArgsError('the receipts are for different models: two computations, no conflict to prove');
    }
    if (a.receipt.inputHash !== b.receipt.inputHash) {
        throw new ScriptArgsError('the receipts are for different inputs: two computations, no conflict to prove');
    }
    for (const [name, r] of [
        ['receipt-a', a],
        ['receipt-b', b],
    ] as const) {
        if (!r.receipt.registry.equals(state.registry)) {
            throw new ScriptArgsError(`--${name}: bound to another registry (${r.receipt.registry.toString()})`);
        }
    }
    if (a.receipt.outputHash === b.receipt.outputHash) {
        throw new ScriptArgsError('the receipts attest the same output: no conflict to prove');
    }
    for (const [name, r] of [
        ['receipt-a', a],
        ['receipt-b', b],
    ] as const) {
        if (!verifyReceipt(r.cell, r.signature, workerKey)) {
            throw new ScriptArgsError(`--${name}: not signed by the worker key of ${stake.address.toString()}`);
        }
    }
    if (await stake.getIsRequestSlashed(a.receipt.requestId)) {
        throw new Error(`the worker was already slashed for request ${a.receipt.requestId.toString(16)}`);
    }
    const { sent } = await submit(provider, args, 'SlashByProof', {
        to: stake.address,
        // The stake requires STAKE_SLASH_PROOF_FEE; what compute does not use comes back with the bounty.
        value: 2n * STAKE_SLASH_PROOF_FEE,
        body: messageBody(storeSlashByProof, {
            $$type: 'SlashByProof',
            queryId: 0n,
            receiptA: a.cell,
            signatureA: a.signature,
            receiptB: b.cell,
            signatureB: b.signature,
        }),
    });
    if (sent) provider.ui().write(`bond now ${(await stake.getState()).stake} nanoTON`);
}

function readReceipt(name: string, path: string): ReadReceipt {
    let text: string;
    try {
        text = readFileSync(path, 'utf8');
    } catch (err) {
        throw new ScriptArgsError(`--${name}: cannot read ${path}: ${(err as Error).message}`);
    }
    try {
        return receiptFromFile(text);
    } catch (err) {
        throw new ScriptArgsError(`--${name}: ${path}: ${(err as Error).message}`);
    }
}
