/**
 * The child processes of `npm run devnet -- --processes`: each started in a process group of its own (so a stop
 * reaches whatever it started too), its output kept in a log file, and every one of them stopped when the devnet
 * stops, fails or is interrupted: SIGTERM to the group, SIGKILL after a grace period, and SIGKILL to every group
 * still alive when this process exits.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync, WriteStream } from 'node:fs';
import { join } from 'node:path';
import { ChrysalisError } from '../../errors';

/** A child exited before it was ready, or did not get ready in time: the message ends with its log's last lines. */
export class ChildProcessError extends ChrysalisError {}

export interface ChildSpec {
    /** Short name: the log file is `<name>.log`. */
    name: string;
    command: string;
    args: string[];
    env: Record<string, string>;
    /** Called with each line the child prints on stdout (a client process's answers), as well as logged. */
    onStdout?: (line: string) => void;
}

export interface Child {
    readonly name: string;
    readonly pid: number;
    readonly logFile: string;
    readonly process: ChildProcess;
    /** Resolves with the exit code (or the signal's name) once the process has exited. */
    readonly exited: Promise<number | string>;
    /** Resolves with the same once its output has been read to the end too (every stdout line seen). */
    readonly closed: Promise<number | string>;
    /** Resolves with the first output line matching `pattern` (rejects if the child exits first or on timeout). */
    waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
}

/** How long a stopped child may take to exit after SIGTERM before its group gets SIGKILL. */
const STOP_GRACE_MS = 15_000;
/** How many of a child's first output lines are kept for {@link Child.waitForLine}. */
const EARLY_LINES = 500;

/** How long a failed wait gives an exited child's pipes to drain into its log before quoting the log's tail. */
const LOG_FLUSH_WAIT_MS = 1000;

export class Children {
    private readonly running = new Map<string, Child>();
    private readonly onExit = () => {
        for (const child of this.running.values()) signalGroup(child.pid, 'SIGKILL');
    };

    constructor(readonly logDir: string) {
        process.on('exit', this.onExit);
    }

    get(name: string): Child | undefined {
        return this.running.get(name);
    }

    names(): string[] {
        return [...this.running.keys()];
    }

    start(spec: ChildSpec): Child {
        if (this.running.has(spec.name)) throw new Error(`devnet: ${spec.name} is running already`);
        const logFile = join(this.logDir, `${spec.name}.log`);
        const log = createWriteStream(logFile, { flags: 'a' });
        const proc = spawn(spec.command, spec.args, {
            env: spec.env,
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        if (proc.pid === undefined) throw new ChildProcessError(`devnet: ${spec.name} did not start`);
        const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
        // The first lines are kept: a wait that begins after its line was printed still finds it.
        const early: string[] = [];
        const onLine = (line: string) => {
            if (early.length < EARLY_LINES) early.push(line);
            for (const w of waiters) {
                if (w.pattern.test(line)) {
                    waiters.delete(w);
                    w.resolve(line);
                }
            }
        };
        const onStdout = spec.onStdout;
        proc.stdout!.on(
            'data',
            lineReader(log, (line) => {
                onLine(line);
                onStdout?.(line);
            }),
        );
        proc.stderr!.on('data', lineReader(log, onLine));
        const exited = new Promise<number | string>((resolve) =>
            proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
        );
        const closed = new Promise<number | string>((resolve) =>
            proc.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')),
        );
        // A child's last lines can still be in its pipes when it exits: the log is closed once both pipes have ended
        // (a grandchild that inherited them may keep them open: a wait on it is bounded where it is used).
        const logged = Promise.all([once(proc.stdout!, 'close'), once(proc.stderr!, 'close')]).then(
            () => new Promise<void>((resolve) => log.end(resolve)),
        );
        const child: Child = {
            name: spec.name,
            pid: proc.pid,
            logFile,
            process: proc,
            exited,
            closed,
            waitForLine: (pattern, timeoutMs) =>
                new Promise<string>((resolve, reject) => {
                    const seen = early.find((line) => pattern.test(line));
                    if (seen !== undefined) return resolve(seen);
                    const waiter = { pattern, resolve };
                    waiters.add(waiter);
                    const timer = setTimeout(() => {
                        waiters.delete(waiter);
                        reject(
                            new ChildProcessError(
                                `devnet: ${spec.name} not ready after ${timeoutMs} ms${tail(logFile)}`,
                            ),
                        );
                    }, timeoutMs);
                    void exited.then(async (code) => {
                        clearTimeout(timer);
                        if (!waiters.has(waiter)) return; // it saw its line: nothing to report
                        // The flush wait is cleared once the log is complete: a pending timer would hold the process.
                        let flushWait: NodeJS.Timeout | undefined;
                        await Promise.race([
                            logged,
                            new Promise((r) => (flushWait = setTimeout(r, LOG_FLUSH_WAIT_MS))),
                        ]);
                        clearTimeout(flushWait);
                        if (waiters.delete(waiter)) {
                            reject(new ChildProcessError(`devnet: ${spec.name} exited (${code})${tail(logFile)}`));
                        }
                    });
                    const done = waiter.resolve;
                    waiter.resolve = (line) => {
                        clearTimeout(timer);
                        done(line);
                    };
                }),
        };
        this.running.set(spec.name, child);
        void exited.then(() => {
            if (this.running.get(spec.name) === child) this.running.delete(spec.name);
        });
        return child;
    }

    /** SIGKILL to the child's group, as a crash or `kill -9` would end it; resolves once it has exited. */
    async kill(name: string): Promise<void> {
        const child = this.running.get(name);
        if (!child) return;
        signalGroup(child.pid, 'SIGKILL');
        await child.exited;
    }

    /** SIGTERM (a graceful stop), then SIGKILL to the group after the grace period; resolves with the exit. */
    async stop(name: string, graceMs = STOP_GRACE_MS): Promise<number | string | undefined> {
        const child = this.running.get(name);
        if (!child) return undefined;
        signalGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs);
        try {
            const code = await child.exited;
            // Whatever the child started and left behind goes with its group.
            signalGroup(child.pid, 'SIGKILL');
            return code;
        } finally {
            clearTimeout(timer);
        }
    }

    /** Stops the named children in order (the rest afterwards, all at once), then forgets the exit hook. */
    async stopAll(order: string[] = []): Promise<void> {
        for (const name of order) await this.stop(name);
        await Promise.all(this.names().map((name) => this.stop(name)));
        process.removeListener('exit', this.onExit);
    }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
        process.kill(-pid, signal);
    } catch {
        // already gone
    }
}

/** Calls `onLine` with each complete line of a byte stream, and appends everything to the log. */
function lineReader(log: WriteStream, onLine: (line: string) => void): (chunk: Buffer) => void {
    let partial = '';
    return (chunk) => {
        log.write(chunk);
        const text = partial + chunk.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line);
    };
}

/** The last lines of a log, for an error message. */
export function tail(logFile: string, lines = 15): string {
    try {
        const text = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
        return text ? `; last lines of ${logFile}:\n${text}` : '';
    } catch {
        return '';
    }
}
