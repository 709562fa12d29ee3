/**
 * The tensor request stream of `npm run devnet -- --processes`, sent as an app developer sends many requests: one
 * `chrysalis client infer --inputs <requests.jsonl> --json` process with the demo client's words in
 * CHRYSALIS_CLIENT_MNEMONIC (its wallet and ClientAccount are the ones the chain process deployed), and settled by
 * `chrysalis client commit` from the voucher file that process kept. The devnet writes the requests file (the same
 * requests as in-process: stream.ts), and reads the process's answer lines into the stream's count, with the same
 * checks beyond the client's own (a worker key registered for the model, the metering rule).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MeteredTensorMap } from '../../inference/metering';
import type { VoucherJson } from '../../roles/proxy/vouchers';
import { StreamOptions, StreamResult, StreamTally, streamRequests } from '../stream';
import type { DevnetView } from '../view';
import { ChildProcessError, Children, tail } from './children';

/** The client process's child name (its log is `client-infer.log`). */
export const TENSOR_CLIENT = 'client-infer';

export interface TensorClientSpec {
    children: Children;
    command: string;
    /** The CLI's arguments before `client …` (the node flags and bin/chrysalis.js). */
    cli: string[];
    /** With the client CLI's settings (roleEnv.ts clientEnv): the demo client's words, the proxy, the TON API. */
    env: Record<string, string>;
    readyMs: number;
    /** Told when the process starts (its pid and command line). */
    onStart?: (pid: number, args: string[]) => void;
}

/** One line of `infer --inputs … --json`: an answer, or the failure of the request on that line. */
type AnswerLine =
    | {
          line: number;
          tokens: number;
          workerKey: string;
          outputs: MeteredTensorMap | null;
          recovered: boolean;
          ms: number;
      }
    | { line: number; error: string };

/** Where the client process keeps its latest voucher, and its receipts (in the devnet's log folder). */
const voucherFile = (spec: TensorClientSpec) => join(spec.children.logDir, 'client-vouchers.json');

/** Runs the stream through one client process; resolves once it has exited and every line is counted. */
export async function runTensorStream(
    spec: TensorClientSpec,
    network: DevnetView,
    options: StreamOptions,
): Promise<StreamResult> {
    const requests = streamRequests(network, options.requests);
    const file = join(spec.children.logDir, 'client-requests.jsonl');
    writeFileSync(
        file,
        requests.map((r) => JSON.stringify({ model: r.model.hashHex, inputs: r.inputs }) + '\n').join(''),
    );
    const tally = new StreamTally(network, options);
    const counted = new Set<number>();
    const args = [
        ...spec.cli,
        'client',
        'infer',
        '--inputs',
        file,
        '--json',
        `--concurrency=${options.concurrency}`,
        `--recover-for=${(options.recoverForMs ?? 0) / 1000}`,
        `--voucher-file=${voucherFile(spec)}`,
        `--receipt-dir=${join(spec.children.logDir, 'client-receipts')}`,
    ];
    const child = spec.children.start({
        name: TENSOR_CLIENT,
        command: spec.command,
        args,
        env: spec.env,
        onStdout: (text) => {
            if (!text.startsWith('{')) return;
            const a = JSON.parse(text) as AnswerLine;
            const r = requests[a.line - 1];
            if (!r || counted.has(a.line)) return;
            counted.add(a.line);
            if ('error' in a) tally.failed(r.model, a.error);
            else tally.answered(r.model, r.inputs, a);
        },
    });
    spec.onStart?.(child.pid, args);
    const code = await child.closed;
    // 1: some requests failed, each on a line of its own; anything else is the process failing as a whole.
    if (code !== 0 && code !== 1) {
        throw new ChildProcessError(`devnet: chrysalis client infer exited (${code})${tail(child.logFile)}`);
    }
    requests.forEach((r, i) => {
        if (!counted.has(i + 1)) tally.failed(r.model, 'the client process printed no line for this request');
    });
    return tally.finish();
}

/**
 * Commits the client's latest voucher, as kept in the voucher file, with `chrysalis client commit`; resolves with the
 * units the chain has charged after it (at least the voucher's), or null when no voucher was kept (no answer).
 */
export async function commitTensorClient(spec: TensorClientSpec): Promise<bigint | null> {
    const file = voucherFile(spec);
    if (!existsSync(file)) return null;
    const kept = JSON.parse(readFileSync(file, 'utf8')) as VoucherJson;
    const child = spec.children.start({
        name: 'client-commit',
        command: spec.command,
        args: [...spec.cli, 'client', 'commit', `--voucher-file=${file}`],
        env: spec.env,
    });
    const [line, code] = await Promise.all([
        child.waitForLine(/^committed: charged \d+ units/, spec.readyMs),
        child.exited,
    ]);
    if (code !== 0) throw new ChildProcessError(`devnet: chrysalis client commit exited (${code})`);
    const charged = BigInt(/charged (\d+)/.exec(line)![1]);
    if (charged < BigInt(kept.cumulative)) {
        throw new ChildProcessError(`devnet: committed ${charged} units, the kept voucher says ${kept.cumulative}`);
    }
    return charged;
}
