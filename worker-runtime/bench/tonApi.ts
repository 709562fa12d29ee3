/**
 * The devnet TON API's overhead: the same get method and the same wallet transfer straight on the sandbox and
 * through the API (HTTP + toncenter JSON, read with TonChain / TonClient as roles on a network read it).
 *
 *   npm run bench:tonapi [-- --samples 300]
 *
 * Sequential calls, one at a time: p50/p99 in ms and calls/s. Writes bench/tonapi.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Address, internal, SendMode, toNano } from '@ton/core';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { Blockchain } from '@ton/sandbox';
import { WalletContractV5R1 } from '@ton/ton';
import { TonChain } from '../src/chain';
import { startTonApi } from '../src/devnet/tonApi';

interface Row {
    operation: string;
    path: 'sandbox' | 'api';
    samples: number;
    p50: number;
    p99: number;
    perSecond: number;
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(
    operation: string,
    path: Row['path'],
    samples: number,
    run: () => Promise<unknown>,
): Promise<Row> {
    console.error(`measuring ${operation} via ${path}`);
    for (let i = 0; i < 10; i++) await run(); // warm-up
    const times: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < samples; i++) {
        const t = performance.now();
        await run();
        times.push(performance.now() - t);
    }
    const total = performance.now() - t0;
    times.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
        operation,
        path,
        samples,
        p50: round(percentile(times, 50)),
        p99: round(percentile(times, 99)),
        perSecond: Math.round((samples / total) * 1000),
    };
}

async function main() {
    const { values } = parseArgs({ options: { samples: { type: 'string', default: '300' } } });
    const samples = Number(values.samples);
    const blockchain = await Blockchain.create();
    blockchain.now = Math.floor(Date.now() / 1000);
    const api = await startTonApi({ blockchain });
    try {
        const keys = await mnemonicToPrivateKey(await mnemonicNew());
        const contract = WalletContractV5R1.create({ publicKey: keys.publicKey, walletId: { networkGlobalId: -3 } });
        await api.faucet.fund(contract.address, toNano('1000000'));
        const direct = blockchain.openContract(contract);
        const chain = new TonChain({ network: 'devnet', endpoint: api.url });
        const viaApi = chain.open(contract);
        const to = new Address(0, Buffer.alloc(32, 1));
        const transfer = (seqno: number) => ({
            seqno,
            secretKey: keys.secretKey,
            sendMode: SendMode.PAY_GAS_SEPARATELY,
            messages: [internal({ to, value: toNano('0.01'), bounce: false })],
        });
        await direct.sendTransfer(transfer(0)); // deploys the wallet

        const rows: Row[] = [];
        rows.push(await measure('get method (seqno)', 'sandbox', samples, () => direct.getSeqno()));
        rows.push(await measure('get method (seqno)', 'api', samples, () => viaApi.getSeqno()));
        rows.push(await measure('account state', 'sandbox', samples, () => blockchain.getContract(contract.address)));
        rows.push(await measure('account state', 'api', samples, () => chain.provider(contract.address).getState()));
        let seqno = await direct.getSeqno();
        rows.push(
            await measure('wallet transfer (signed, run)', 'sandbox', samples, () =>
                direct.sendTransfer(transfer(seqno++)),
            ),
        );
        rows.push(
            await measure('wallet transfer (signed, run)', 'api', samples, () =>
                viaApi.sendTransfer(transfer(seqno++)),
            ),
        );
        rows.push(
            await measure('transactions page (16)', 'api', samples, () =>
                chain.client.getTransactions(contract.address, { limit: 16 }),
            ),
        );

        console.log('operation                       path      p50 ms   p99 ms   calls/s');
        for (const r of rows) {
            console.log(
                `${r.operation.padEnd(31)} ${r.path.padEnd(8)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(8)} ${String(r.perSecond).padStart(9)}`,
            );
        }
        const file = join(__dirname, '..', '..', 'bench', 'tonapi.json');
        writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), samples, rows }, null, 2) + '\n');
        console.log(`wrote ${file}`);
    } finally {
        await api.close();
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
