/** Every governance script takes --print-message: a multisig owner gets the message to propose, and nothing is sent. */
import { Address, Cell } from '@ton/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkProvider } from '@ton/blueprint';
import { deployNetwork, hashOf, NetworkSnapshot } from '../fixtures/network';
import { SandboxNetworkProvider, ScriptedUI } from './sandboxProvider';

type Script = { run: (provider: NetworkProvider, argv: string[]) => Promise<unknown> };
const load = (name: string): Script => require(`../../scripts/${name}`) as Script;

describe('--print-message on every governance script', () => {
    let snap: NetworkSnapshot;
    beforeAll(async () => {
        snap = new NetworkSnapshot(await deployNetwork());
        snap.save();
    });

    it('prints destination, value, body and a ton://transfer link, and sends nothing', async () => {
        const { owner, registry, stranger, blockchain } = snap.net;
        const hex = hashOf('print').toString(16).padStart(64, '0');
        const addr = stranger.address.toString();
        const dir = mkdtempSync(join(tmpdir(), 'chrysalis-print-'));
        writeFileSync(join(dir, 'code.boc'), Cell.EMPTY.toBoc());
        const cases: Record<string, string[]> = {
            setParams: ['--pricePerToken', '5'],
            proposeOwner: ['--new-owner', addr],
            acceptOwner: [],
            setHalter: ['--halter', 'none'],
            pause: [],
            unpause: [],
            allowWorkerImage: ['--image', hex],
            removeWorkerImage: ['--image', hex],
            allowProxyImage: ['--image', hex],
            removeProxyImage: ['--image', hex],
            allowModel: ['--model', hex, '--name', 'm', '--kind', 'generic'],
            removeModel: ['--model', hex],
            registerProxy: ['--id', '5', '--endpoint', 'https://p', '--public-key', hex, '--proxy', addr],
            removeProxy: ['--id', '5'],
            setChildCode: ['--kind', 'proxy'],
            scheduleUpgrade: ['--code', join(dir, 'code.boc')],
            cancelUpgrade: [],
            executeUpgrade: [],
            withdrawSurplus: ['--to', addr],
            slashWorker: ['--key', hex, '--reason', '1', '--fraction', '100'],
            topUpReserve: [],
        };
        const lastLt = async () => (await blockchain.getContract(owner.address)).lastTransactionLt;
        const before = await lastLt();
        for (const [name, args] of Object.entries(cases)) {
            const provider = new SandboxNetworkProvider(blockchain, owner, new ScriptedUI());
            await load(name).run(provider, ['--registry', registry.address.toString(), ...args, '--print-message']);
            const lines = provider.ui().written;
            const field = (f: string) => lines.find((l) => l.startsWith(`${f} `))?.slice(12);
            expect([name, Address.parse(field('destination')!).equals(registry.address)]).toEqual([name, true]);
            expect(field('value')).toMatch(/^[\d.]+ TON \(\d+ nanoTON\)$/);
            expect(() => Cell.fromBase64(field('body')!)).not.toThrow();
            expect(field('link')).toMatch(/^ton:\/\/transfer\/[\w-]{48}\?amount=\d+&bin=[\w-]+$/);
        }
        expect(await lastLt()).toBe(before);
        const deploying = new SandboxNetworkProvider(blockchain, owner, new ScriptedUI());
        await load('deployRegistry').run(deploying, ['--treasury', addr, '--owner', addr, '--print-message']);
        expect(deploying.ui().written.find((l) => l.startsWith('link '))).toMatch(/&init=[\w-]+$/);
        expect(await lastLt()).toBe(before);
    });
});
