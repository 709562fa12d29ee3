/**
 * Through the real `npx blueprint run`, with stdin not a terminal (CI, a pipe): a missing argument ends the process
 * with a non-zero status and names the argument (blueprint's own prompt would print the question and exit 0).
 * Nothing reaches a network: the script stops at its arguments, before any request.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { mnemonicNew } from '@ton/crypto';

const REPO = path.resolve(__dirname, '../..');

/** A loopback port nothing listens on (taken from the OS, then released): the endpoint is never contacted anyway. */
async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
}

function blueprint(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
        const child = execFile(
            'npx',
            ['blueprint', ...args],
            { cwd: REPO, env, timeout: 170_000 },
            (err, stdout, stderr) =>
                resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
        );
        child.stdin?.end();
    });
}

describe('npx blueprint run without a terminal', () => {
    it('exits non-zero naming the missing argument', async () => {
        const endpoint = `http://127.0.0.1:${await closedPort()}/api/v2/jsonRPC`;
        const env = { ...process.env, WALLET_MNEMONIC: (await mnemonicNew()).join(' '), WALLET_VERSION: 'v4' };
        const network = ['--custom', endpoint, '--custom-version', 'v2', '--custom-type', 'testnet', '--mnemonic'];
        const { code, output } = await blueprint(['run', 'pause', ...network], env);
        expect(code).not.toBe(0);
        expect(output).toContain('missing --registry (Registry address)');
    }, 180_000);
});
