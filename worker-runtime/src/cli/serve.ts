/**
 * What `chrysalis worker` and `chrysalis proxy` share: reading several schemas as one configuration (one error names
 * every bad variable), the options table of `--help`, and running a started role until SIGINT/SIGTERM.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import { ConfigOf, describeSchema, readConfig, Schema } from '../config/schema';
import type { Logger } from '../observability';
import { Connection, NetworkConfig } from './networkConfig';

/** What a long-running command is given; `run` fills it from the process, specs inject the rest. */
export interface ServeIo {
    env?: Record<string, string | undefined>;
    out?: (text: string) => void;
    err?: (text: string) => void;
    /** Builds the chain and wallet; default `connectNetwork` (TonChain + the wallet of the mnemonic). */
    connect?: (config: NetworkConfig) => Promise<Connection>;
    /** Where SIGINT/SIGTERM come from; default `process`. */
    signals?: EventEmitter;
    /** Called once the role runs (specs wait on it). */
    onStarted?: (running: Running) => void;
}

export interface Running {
    stop(): Promise<void>;
    /** Settles when the role gives up by itself (rejects with the reason); never settles while it runs. */
    failed?: Promise<never>;
}

/**
 * The files a start needs, checked before anything contacts the network, so that a wrong path is reported as one
 * rather than as whatever the chain or the role fails with later. Returns one line per unreadable file.
 */
export function unreadableFiles(
    files: Array<[variable: string, file: string]>,
    /** Model folders (chat, embedding, speech packages) are served as well as files. */
    folders = false,
): string[] {
    return files.flatMap(([variable, file]) => {
        try {
            accessSync(file, fsConstants.R_OK);
            const stat = statSync(file);
            if (!stat.isFile() && !(folders && stat.isDirectory())) {
                return [`${variable}: ${file} is not a file${folders ? ' or a model folder' : ''}`];
            }
            return [];
        } catch (e) {
            return [`${variable}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`];
        }
    });
}

/** The variables of several schemas, read as one configuration: every problem of every schema in one ConfigError. */
export function readConfigs<T extends Record<string, Schema>>(
    schemas: T,
    env: Record<string, string | undefined>,
): { [K in keyof T]: ConfigOf<T[K]> } {
    const merged: Schema = Object.assign({}, ...Object.values(schemas));
    const all = readConfig(merged, env) as Record<string, unknown>;
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, schema] of Object.entries(schemas)) {
        out[name] = Object.fromEntries(Object.keys(schema).map((k) => [k, all[k]]));
    }
    return out as { [K in keyof T]: ConfigOf<T[K]> };
}

/** `--help`: the usage, then each schema's table exactly as the docs show it. */
export function helpText(usage: string, tables: Array<[title: string, schema: Schema]>): string {
    return [usage.trimEnd(), ...tables.map(([title, schema]) => `${title}:\n\n${describeSchema(schema)}`)].join('\n\n');
}

export type CommandLine = { kind: 'help' } | { kind: 'start' | 'close' } | { kind: 'usage'; problem: string };

/** `commands`: what the CLI takes besides `start` (the proxy also takes `close`). */
export function parseCommandLine(argv: string[], commands: ReadonlyArray<'start' | 'close'> = ['start']): CommandLine {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: { help: { type: 'boolean', short: 'h' } },
        });
    } catch (err) {
        return { kind: 'usage', problem: (err as Error).message };
    }
    const [command, ...extra] = parsed.positionals;
    if (parsed.values.help || command === 'help') return { kind: 'help' };
    if (!command) return { kind: 'usage', problem: 'no command given' };
    const known = commands.find((c) => c === command);
    if (!known) return { kind: 'usage', problem: `unknown command "${command}"` };
    if (extra.length) return { kind: 'usage', problem: `unexpected arguments: ${extra.join(' ')}` };
    return { kind: known };
}

/**
 * Runs until SIGINT or SIGTERM, then stops gracefully (the role finishes or hands back its in-flight jobs and closes
 * its connections) and returns 0. A second signal while stopping gives up on the graceful stop (exit 130). If the
 * role fails by itself, it is stopped and 1 is returned.
 */
export async function serveUntilSignal(
    running: Running,
    log: Logger,
    signals: EventEmitter = process,
): Promise<number> {
    let onSignal: (signal: string) => void = () => undefined;
    const signalled = new Promise<string>((resolve) => (onSignal = resolve));
    const handler = (signal: string) => onSignal(signal);
    signals.on('SIGINT', handler);
    signals.on('SIGTERM', handler);
    try {
        const outcome = await Promise.race([
            signalled.then((signal) => ({ signal })),
            (running.failed ?? new Promise<never>(() => undefined)).catch((err: unknown) => ({ err })),
        ]);
        if ('signal' in outcome) {
            log.info({ signal: outcome.signal }, 'stopping: in-flight work finishes or goes back to the queue');
            onSignal = () => {
                log.warn('second signal: exiting without a graceful stop');
                if (signals === process) process.exit(130);
            };
        } else {
            log.error({ err: (outcome.err as Error)?.message ?? String(outcome.err) }, 'stopping after a failure');
        }
        await running.stop();
        log.info('stopped');
        return 'signal' in outcome ? 0 : 1;
    } finally {
        signals.off('SIGINT', handler);
        signals.off('SIGTERM', handler);
    }
}

/**
 * Redis prefix of one process's registry view. A view keeps its watcher cursor in Redis and applies the events it
 * commits to its own memory; two processes sharing a cursor (a proxy and its workers share the prefix) would each miss
 * what the other committed. So every process follows the registry under a namespace of its own identity.
 */
export function viewPrefix(prefix: string, role: 'proxy' | 'worker', publicKey: Buffer): string {
    return `${prefix}:views:${role}-${publicKey.toString('hex').slice(0, 16)}`;
}
