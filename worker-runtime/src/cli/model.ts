/**
 * `chrysalis model inspect <model.onnx|folder> [--json]`
 * `chrysalis model chat|embed|transcribe <folder> ...` (see modelFolder.ts)
 * `chrysalis model run <model.onnx> --input <inputs.json> [--json] [--kind <kind>] [--expect-hash <sha256>]`
 *
 * `inspect` prints the model's SHA-256 (the hash the registry lists) and its declared inputs and outputs.
 * `run` runs the model once on this thread: the input file maps input names to `{type, dims, data}`; with `--json`
 * the output is a JSON object of the same shape, mapping output names to `{type, dims, data}`.
 * Bad input exits with status 1 and a message saying what is wrong; usage errors exit with status 2.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
    InvalidInputError,
    JsonTensor,
    JsonTensorMap,
    TENSOR_MODEL_KINDS,
    ModelSession,
    TensorSpec,
    isTensorModelKind,
    meter,
    rawToJson,
    readModelFile,
    validateInputs,
} from '../inference';
import { UsageError, chat, embed, inspectFolder, transcribe } from './modelFolder';

const USAGE = `usage:
  chrysalis model inspect <model.onnx|folder> [--json]
  chrysalis model chat <folder> --messages <messages.json> [--model-file onnx/model_q4.onnx] [--max-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S] [--json]
  chrysalis model embed <folder> --input <inputs.json: array of strings> [--model-file <onnx/...>] [--json]
  chrysalis model transcribe <folder> <audio.wav: 16 kHz mono> [--max-tokens N] [--json]
  chrysalis model run <model.onnx> --input <inputs.json> [--json] [--kind ${TENSOR_MODEL_KINDS.join('|')}] [--expect-hash <sha256>]

The input file maps each input name to {"type": "float32|int64|int32|bool|uint8", "dims": [...], "data": [...]}
(data flat, row-major; int64 values as decimal strings). --json prints outputs in the same form.
`;

function shape(dims: readonly (number | string)[]): string {
    return `[${dims.map((d) => (d === '' ? '?' : String(d))).join(', ')}]`;
}

function specLines(title: string, specs: TensorSpec[]): string[] {
    return [`${title}:`, ...specs.map((s) => `  ${s.name.padEnd(16)} ${s.type.padEnd(8)} ${shape(s.dims)}`)];
}

function preview(t: JsonTensor, max = 8): string {
    const shown = t.data.slice(0, max).map((v) => (typeof v === 'number' ? Number(v.toPrecision(6)) : v));
    return `[${shown.join(', ')}${t.data.length > max ? `, … (${t.data.length} values)` : ''}]`;
}

async function openModel(file: string): Promise<{ hash: string; bytes: Uint8Array; session: ModelSession }> {
    const { bytes, hash } = await readModelFile(file);
    const session = await ModelSession.create(bytes);
    return { hash, bytes, session };
}

async function inspect(file: string, json: boolean): Promise<number> {
    const { hash, bytes, session } = await openModel(file);
    try {
        if (json) {
            const out = {
                path: file,
                sha256: hash,
                bytes: bytes.length,
                inputs: session.inputs,
                outputs: session.outputs,
            };
            process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        } else {
            const lines = [
                `model:   ${file}`,
                `sha256:  ${hash}`,
                `size:    ${bytes.length} bytes`,
                ...specLines('inputs', session.inputs),
                ...specLines('outputs', session.outputs),
            ];
            process.stdout.write(lines.join('\n') + '\n');
        }
        return 0;
    } finally {
        await session.release();
    }
}

async function readInputFile(file: string): Promise<unknown> {
    let text: string;
    try {
        text = await readFile(file, 'utf8');
    } catch (err) {
        throw new InvalidInputError(`cannot read input file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new InvalidInputError(`input file ${file} is not valid JSON: ${(err as Error).message}`);
    }
}

async function runModel(file: string, values: Record<string, string | boolean | undefined>): Promise<number> {
    if (typeof values.input !== 'string') throw new UsageError('model run needs --input <inputs.json>');
    const kind = values.kind ?? 'generic';
    // chat and speech-to-text are folders served by the engines (model chat / transcribe), metered by token type.
    if (!isTensorModelKind(kind)) throw new UsageError(`--kind must be one of ${TENSOR_MODEL_KINDS.join(', ')}`);
    const inputJson = await readInputFile(values.input);
    const { hash, session } = await openModel(file);
    try {
        const expected = values['expect-hash'];
        if (typeof expected === 'string' && expected.toLowerCase() !== hash) {
            throw new InvalidInputError(`model ${file} has sha256 ${hash}, not the expected ${expected}`);
        }
        const raw = validateInputs(session.inputs, inputJson);
        const rawOut = await session.run(raw);
        const outputs: JsonTensorMap = Object.fromEntries(Object.entries(rawOut).map(([n, t]) => [n, rawToJson(t)]));
        if (values.json) {
            process.stdout.write(JSON.stringify(outputs) + '\n');
        } else {
            const tokens = meter(kind, inputJson as JsonTensorMap, outputs);
            const lines = [`model:   ${file}`, `sha256:  ${hash}`, 'outputs:'];
            for (const [name, t] of Object.entries(outputs)) {
                lines.push(`  ${name.padEnd(16)} ${t.type.padEnd(8)} ${shape(t.dims)} ${preview(t)}`);
            }
            lines.push(`tokens:  ${tokens} (metering kind ${kind})`);
            process.stdout.write(lines.join('\n') + '\n');
        }
        return 0;
    } finally {
        await session.release();
    }
}

export async function run(argv: string[]): Promise<number> {
    try {
        const { values, positionals } = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                json: { type: 'boolean', default: false },
                input: { type: 'string', short: 'i' },
                kind: { type: 'string' },
                'expect-hash': { type: 'string' },
                messages: { type: 'string' },
                'model-file': { type: 'string' },
                'max-tokens': { type: 'string' },
                temperature: { type: 'string' },
                'top-p': { type: 'string' },
                'top-k': { type: 'string' },
                seed: { type: 'string' },
                help: { type: 'boolean', short: 'h' },
            },
        });
        const [command, file, ...extra] = positionals;
        if (values.help || !command) {
            process.stderr.write(USAGE);
            return values.help ? 0 : 2;
        }
        if (!file) throw new UsageError(`model ${command} needs a model file or folder`);
        if (command === 'transcribe') {
            if (extra.length > 1) throw new UsageError(`unexpected arguments: ${extra.slice(1).join(' ')}`);
            return await transcribe(file, extra[0], values);
        }
        if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
        if (command === 'inspect') {
            const isFolder = (() => {
                try {
                    return statSync(file).isDirectory();
                } catch {
                    return false;
                }
            })();
            return isFolder
                ? await inspectFolder(file, values.json ?? false)
                : await inspect(file, values.json ?? false);
        }
        if (command === 'chat') return await chat(file, values);
        if (command === 'embed') return await embed(file, values);
        if (command === 'run') return await runModel(file, values);
        throw new UsageError(`unknown command "${command}"`);
    } catch (err) {
        if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
            process.stderr.write(`chrysalis model: ${(err as Error).message}\n\n${USAGE}`);
            return 2;
        }
        throw err;
    }
}
