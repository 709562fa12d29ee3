/**
 * The README's "devnet as separate processes": against a running `--processes` devnet, given its endpoints, a worker
 * an operator starts by hand (`chrysalis worker start` with CHRYSALIS_REGISTER=true and a faucet-funded wallet) bonds
 * its key, is admitted by the devnet's proxy and serves; the client CLI (`chrysalis client open`, `infer`) with a
 * wallet of its own opens an account and gets answers signed by that worker (the devnet's own worker is stopped
 * first, so only the hand-started one can serve). Every command is the real binary in a child process.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import { walletContract } from '../../worker-runtime/src/cli/networkConfig';
import { ProcessDevnet, startProcessDevnet } from '../../worker-runtime/src/devnet/processes/orchestrator';

jest.setTimeout(900_000);

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'chrysalis.js');

interface Result {
    code: number;
    stdout: string;
    stderr: string;
}

/** `npx chrysalis …` as a person runs it: the real binary, in `cwd`, with `env` over this environment. */
function chrysalis(cwd: string, env: Record<string, string>, ...args: string[]): Promise<Result> {
    return new Promise((done) => {
        execFile(
            process.execPath,
            [BIN, ...args],
            { cwd, env: { ...process.env, ...env }, timeout: 240_000 },
            (err, stdout, stderr) =>
                done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
    });
}

async function wallet(): Promise<{ words: string; address: string }> {
    const words = await mnemonicNew(24);
    const keys = await mnemonicToPrivateKey(words);
    const address = walletContract('v4', 'devnet', keys.publicKey).address;
    return { words: words.join(' '), address: address.toString({ testOnly: true, bounceable: false }) };
}

let devnet: ProcessDevnet | null = null;
let handWorker: ChildProcess | null = null;
const dir = mkdtempSync(join(tmpdir(), 'chrysalis-join-'));

afterAll(async () => {
    if (handWorker?.pid && handWorker.exitCode === null) process.kill(handWorker.pid, 'SIGKILL');
    await devnet?.stop();
    rmSync(dir, { recursive: true, force: true });
});

test('a worker started by hand joins the devnet and serves the client CLI', async () => {
    devnet = await startProcessDevnet({ workers: 1, models: ['tiny-mlp'], generative: [] });
    const e = devnet.endpoints;
    const model = devnet.network.models[0];
    const net = { CHRYSALIS_NETWORK: 'devnet', CHRYSALIS_TON_ENDPOINT: e.tonApi };

    // The operator's and the client's wallets, funded by the faucet through its command.
    const operator = await wallet();
    const client = await wallet();
    for (const w of [operator, client]) {
        const funded = await chrysalis(dir, {}, 'devnet', 'fund', w.address, '20', '--api', e.tonApi);
        expect(funded.stderr).toBe('');
        expect(funded.code).toBe(0);
    }

    // The worker, as the README starts it: a fresh key, bonded from the operator's wallet at start.
    let log = '';
    handWorker = spawn(process.execPath, [BIN, 'worker', 'start'], {
        cwd: dir,
        env: {
            ...process.env,
            ...net,
            REDIS_URL: e.redisUrl,
            CHRYSALIS_PREFIX: e.prefix,
            CHRYSALIS_REGISTRY: e.registry,
            CHRYSALIS_MODEL_PATH: model.path,
            CHRYSALIS_ATTESTATION: 'simulated',
            CHRYSALIS_REGISTER: 'true',
            CHRYSALIS_WORKER_HTTP_PORT: '0',
            CHRYSALIS_WALLET_MNEMONIC: operator.words,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => handWorker!.once('exit', (code) => r(code)));
    const admitted = new Promise<string>((resolvePromise, reject) => {
        const onData = (chunk: Buffer) => {
            log += chunk.toString();
            const key = /"workerKey":"([0-9a-f]{64})"/.exec(log)?.[1];
            if (key && /admitted: consuming/.test(log)) resolvePromise(key);
        };
        handWorker!.stdout!.on('data', onData);
        handWorker!.stderr!.on('data', onData);
        void exited.then((code) => reject(new Error(`the worker exited (${code}):\n${log.slice(-3000)}`)));
    });
    const handKey = await admitted;
    expect(log).toMatch(/registering the worker key through the owner wallet/);

    // Only the hand-started worker serves the model from here on.
    await devnet.children.stop('worker-0-tiny-mlp');

    const clientEnv = {
        ...net,
        CHRYSALIS_PROXY_URL: devnet.proxyUrl,
        CHRYSALIS_PROXY_ADDRESS: devnet.network.proxy.contract.address.toString(),
        CHRYSALIS_REGISTRY: e.registry,
        CHRYSALIS_CLIENT_MNEMONIC: client.words,
    };
    const opened = await chrysalis(dir, clientEnv, 'client', 'open', '--stake', '1', '--deposit', '5');
    if (opened.code !== 0) throw new Error(`client open failed:\n${opened.stderr}${opened.stdout}`);
    expect(opened.stdout).toMatch(/active/i);

    const inputs = join(dir, 'inputs.json');
    writeFileSync(
        inputs,
        JSON.stringify({
            features: { type: 'float32', dims: [1, 16], data: Array.from({ length: 16 }, (_, i) => i / 16) },
        }),
    );
    for (let i = 0; i < 2; i++) {
        const inferred = await chrysalis(
            dir,
            clientEnv,
            'client',
            'infer',
            '--model',
            model.hashHex,
            '--input',
            inputs,
            '--json',
        );
        if (inferred.code !== 0) throw new Error(`client infer failed:\n${inferred.stderr}${inferred.stdout}`);
        const answer = JSON.parse(inferred.stdout) as {
            workerKey: string;
            tokens: number;
            voucher: { cumulative: string };
        };
        expect(answer.workerKey.toLowerCase()).toBe(handKey);
        expect(answer.tokens).toBeGreaterThan(0);
        expect(BigInt(answer.voucher.cumulative)).toBe(BigInt(answer.tokens * (i + 1)));
    }

    // The operator stops it as any worker stops: SIGTERM, exit 0.
    handWorker.kill('SIGTERM');
    expect(await exited).toBe(0);
});
