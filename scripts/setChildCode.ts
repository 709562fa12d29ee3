import { Cell } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
    CHILD_CLIENT_ACCOUNT,
    CHILD_PROXY,
    CHILD_WORKER_ACCOUNT,
    CHILD_WORKER_STAKE,
    storeSetChildCode,
} from '../wrappers/Registry';
import { ScriptArgsError } from './lib/args';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/**
 * Each child kind with its code in build/ (`npm run build`): the WorkerStake the registry deploys, and the billing
 * contracts as the Proxy embeds them (Proxy_ClientAccount and Proxy_WorkerAccount are byte for byte the standalone
 * ClientAccount and WorkerAccount codes).
 */
export const CHILD_CODES = {
    workerStake: { kind: CHILD_WORKER_STAKE, file: 'build/WorkerStake/WorkerStake_WorkerStake.code.boc' },
    proxy: { kind: CHILD_PROXY, file: 'build/Proxy/Proxy_Proxy.code.boc' },
    clientAccount: { kind: CHILD_CLIENT_ACCOUNT, file: 'build/Proxy/Proxy_ClientAccount.code.boc' },
    workerAccount: { kind: CHILD_WORKER_ACCOUNT, file: 'build/Proxy/Proxy_WorkerAccount.code.boc' },
} as const;
type ChildName = keyof typeof CHILD_CODES;
const NAMES = Object.keys(CHILD_CODES).join(', ');

/**
 * SetChildCode: --kind workerStake|proxy|clientAccount|workerAccount [--code <file.boc>, default the build file], into
 * an empty slot only (the first deployment of the billing codes); replacing a code goes through scheduleChildCode and
 * the timelock (the registry refuses it here with ERR_CHILD_CODE_TIMELOCKED).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        kind: { describe: `Child kind (${NAMES})` },
        code: { describe: "Code (path to a .boc file; default the kind's file in build/)", optional: true },
    };
    await governanceMessage(provider, argv, spec, 'SetChildCode', async (args) => {
        const name = await args.string('kind');
        if (!(name in CHILD_CODES)) throw new ScriptArgsError(`--kind: unknown child kind '${name}' (use ${NAMES})`);
        const child = CHILD_CODES[name as ChildName];
        const path = args.has('code') ? await args.string('code') : join(__dirname, '..', child.file);
        if (!existsSync(path)) throw new ScriptArgsError(`--code: no file ${path} (run npm run build)`);
        const code = Cell.fromBoc(readFileSync(path))[0];
        provider.ui().write(`${name} code ${path}: hash ${code.hash().toString('hex')}`);
        return messageBody(storeSetChildCode, { $$type: 'SetChildCode', queryId: 0n, kind: child.kind, code });
    });
}
