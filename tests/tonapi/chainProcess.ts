/**
 * `chrysalis devnet chain` as a real child process for the tonapi specs: started on a free port, its printed
 * endpoint read from stdout, stopped with SIGTERM.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');

export interface ChainProcess {
    child: ChildProcess;
    /** The printed `ton api` URL. */
    url: string;
    output(): string;
    /** SIGTERM, and the exit code. */
    stop(): Promise<number | null>;
}

export async function startChainProcess(args: string[] = [], readyMs = 60_000): Promise<ChainProcess> {
    const child = spawn(process.execPath, ['bin/chrysalis.js', 'devnet', 'chain', '--api-port', '0', ...args], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + readyMs;
    let match: RegExpMatchArray | null = null;
    while (!(match = out.match(/^ton api (http:\/\/127\.0\.0\.1:\d+\/jsonRPC)$/m))) {
        if (child.exitCode !== null || Date.now() > deadline) {
            child.kill('SIGKILL');
            throw new Error(`chrysalis devnet chain did not print its endpoint:\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    return {
        child,
        url: match[1],
        output: () => out,
        async stop() {
            if (child.exitCode !== null) return child.exitCode;
            child.kill('SIGTERM');
            return exited;
        },
    };
}
