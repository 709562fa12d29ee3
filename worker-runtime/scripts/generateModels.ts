/**
 * Writes the small, deterministic ONNX models used by tests, benchmarks and the devnet into
 * `worker-runtime/models/generated/` (gitignored), plus `manifest.json` (name, file, SHA-256, kind). Also the tiny
 * generative model folders (Hugging Face / Optimum layout: chat in llama and qwen2, a think-span chat, a BERT embedder,
 * a Whisper), each listed under `packages` with its package hash (see src/inference/generative/modelPackage.ts).
 *
 * Deterministic: weights come from a seeded PRNG and protobuf encoding is stable, so the same source always gives
 * the same bytes and the same hash (the registry allow-lists models by hash). Idempotent: a file whose content is
 * already right is left untouched, so `npm test` can run this before every run at no cost.
 *
 *   npx tsx worker-runtime/scripts/generateModels.ts [--out <dir>]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { onnx } from 'onnx-proto';
import { readModelPackage } from '../src/inference/generative/modelPackage';
import { GENERATED_FOLDERS } from './generative/folders';

const DataType = onnx.TensorProto.DataType;
type Dim = number | string;

/** mulberry32: a tiny seeded PRNG; good enough for reproducible weights. */
function seededRandom(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Weights uniform in [-scale, scale), rounded to float32. */
function randomFloats(count: number, seed: number, scale: number): Float32Array {
    const next = seededRandom(seed);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = (next() * 2 - 1) * scale;
    return out;
}

function valueInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
    return {
        name,
        type: {
            tensorType: {
                elemType,
                shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
            },
        },
    };
}

function floatInitializer(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
    return { name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(values.buffer.slice(0)) };
}

function int32Initializer(name: string, dims: number[], values: number[]): onnx.ITensorProto {
    return { name, dims, dataType: DataType.INT32, int32Data: values };
}

function node(
    opType: string,
    inputs: string[],
    outputs: string[],
    attribute: onnx.IAttributeProto[] = [],
): onnx.INodeProto {
    return { opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, attribute };
}

function intAttr(name: string, i: number): onnx.IAttributeProto {
    return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

function intsAttr(name: string, ints: number[]): onnx.IAttributeProto {
    return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

function encodeModel(graph: onnx.IGraphProto, docString: string): Uint8Array {
    const model: onnx.IModelProto = {
        irVersion: 8,
        // Opset 17: ReduceMean/ReduceSum still take `axes` as an attribute there (an input from 13/18 on).
        opsetImport: [{ domain: '', version: 17 }],
        producerName: 'chrysalis-generateModels',
        producerVersion: '1',
        docString,
        graph,
    };
    return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

/** Classifier: features float32 [batch,16] → Dense(32)+ReLU → Dense(4) → logits float32 [batch,4], label int64 [batch]. */
function tinyMlp(): Uint8Array {
    const inDim = 16;
    const hidden = 32;
    const classes = 4;
    return encodeModel(
        {
            name: 'tiny-mlp',
            input: [valueInfo('features', DataType.FLOAT, ['batch', inDim])],
            output: [
                valueInfo('logits', DataType.FLOAT, ['batch', classes]),
                valueInfo('label', DataType.INT64, ['batch']),
            ],
            initializer: [
                floatInitializer('w1', [inDim, hidden], randomFloats(inDim * hidden, 1, 0.5)),
                floatInitializer('b1', [hidden], randomFloats(hidden, 2, 0.1)),
                floatInitializer('w2', [hidden, classes], randomFloats(hidden * classes, 3, 0.5)),
                floatInitializer('b2', [classes], randomFloats(classes, 4, 0.1)),
            ],
            node: [
                node('MatMul', ['features', 'w1'], ['h1']),
                node('Add', ['h1', 'b1'], ['h1b']),
                node('Relu', ['h1b'], ['h1r']),
                node('MatMul', ['h1r', 'w2'], ['h2']),
                node('Add', ['h2', 'b2'], ['logits']),
                node('ArgMax', ['logits'], ['label'], [intAttr('axis', 1), intAttr('keepdims', 0)]),
            ],
        },
        'Tiny MLP classifier: 16 features -> 4 class logits and the argmax label.',
    );
}

/** Embedding: token_ids int64 [batch,seq] → Gather(table [64,8]) → mean over seq → embedding float32 [batch,8]. */
function embedding(): Uint8Array {
    const vocab = 64;
    const dim = 8;
    return encodeModel(
        {
            name: 'embedding',
            input: [valueInfo('token_ids', DataType.INT64, ['batch', 'seq'])],
            output: [valueInfo('embedding', DataType.FLOAT, ['batch', dim])],
            initializer: [floatInitializer('table', [vocab, dim], randomFloats(vocab * dim, 5, 1))],
            node: [
                node('Gather', ['table', 'token_ids'], ['vectors'], [intAttr('axis', 0)]),
                node('ReduceMean', ['vectors'], ['embedding'], [intsAttr('axes', [1]), intAttr('keepdims', 0)]),
            ],
        },
        'Embedding-style model: a 64-token vocabulary of 8-dim vectors, mean-pooled over the sequence.',
    );
}

/**
 * Mixed dtypes: counts int32 [n], mask bool [n], pixels uint8 [n] →
 * masked_sum int32 [] (sum of counts where mask), mask_inverted bool [n], pixels_scaled float32 [n] (pixels/255),
 * pixels_max uint8 [].
 */
function dtypeMix(): Uint8Array {
    return encodeModel(
        {
            name: 'dtype-mix',
            input: [
                valueInfo('counts', DataType.INT32, ['n']),
                valueInfo('mask', DataType.BOOL, ['n']),
                valueInfo('pixels', DataType.UINT8, ['n']),
            ],
            output: [
                valueInfo('masked_sum', DataType.INT32, []),
                valueInfo('mask_inverted', DataType.BOOL, ['n']),
                valueInfo('pixels_scaled', DataType.FLOAT, ['n']),
                valueInfo('pixels_max', DataType.UINT8, []),
            ],
            initializer: [
                int32Initializer('zero_i32', [], [0]),
                floatInitializer('inv255', [], Float32Array.of(1 / 255)),
            ],
            node: [
                node('Where', ['mask', 'counts', 'zero_i32'], ['masked_counts']),
                node('ReduceSum', ['masked_counts'], ['masked_sum'], [intAttr('keepdims', 0)]),
                node('Not', ['mask'], ['mask_inverted']),
                node('Cast', ['pixels'], ['pixels_f'], [intAttr('to', DataType.FLOAT)]),
                node('Mul', ['pixels_f', 'inv255'], ['pixels_scaled']),
                node('ReduceMax', ['pixels'], ['pixels_max'], [intAttr('keepdims', 0)]),
            ],
        },
        'Exercises int32, bool and uint8 inputs and outputs.',
    );
}

/** The generated models, by file name, with the metering kind each one is registered under. */
export const GENERATED_MODELS: ReadonlyArray<{ file: string; kind: string; build: () => Uint8Array }> = [
    { file: 'tiny-mlp.onnx', kind: 'classifier', build: tinyMlp },
    { file: 'embedding.onnx', kind: 'text-embedding', build: embedding },
    { file: 'dtype-mix.onnx', kind: 'generic', build: dtypeMix },
];

export const DEFAULT_MODELS_DIR = path.resolve(__dirname, '..', 'models', 'generated');

/** Writes `bytes` unless the file already holds exactly them. Returns whether it wrote. */
function writeIfChanged(file: string, bytes: Uint8Array): boolean {
    if (existsSync(file) && Buffer.compare(readFileSync(file), bytes) === 0) return false;
    writeFileSync(file, bytes);
    return true;
}

export function generateModels(outDir: string = DEFAULT_MODELS_DIR): { written: string[]; unchanged: string[] } {
    mkdirSync(outDir, { recursive: true });
    const written: string[] = [];
    const unchanged: string[] = [];
    const manifest = GENERATED_MODELS.map(({ file, kind, build }) => {
        const bytes = build();
        (writeIfChanged(path.join(outDir, file), bytes) ? written : unchanged).push(file);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        return { name: file.replace(/\.onnx$/, ''), file, sha256, kind, bytes: bytes.length };
    });
    const packages = GENERATED_FOLDERS.map(({ name, kind, build }) => {
        for (const [rel, bytes] of Object.entries(build())) {
            const file = path.join(outDir, name, rel);
            mkdirSync(path.dirname(file), { recursive: true });
            (writeIfChanged(file, bytes) ? written : unchanged).push(`${name}/${rel}`);
        }
        const pkg = readModelPackage(path.join(outDir, name));
        return { name, dir: name, hash: pkg.hash, kind, bytes: pkg.files.reduce((n, f) => n + f.size, 0) };
    });
    const manifestBytes = Buffer.from(JSON.stringify({ models: manifest, packages }, null, 4) + '\n');
    (writeIfChanged(path.join(outDir, 'manifest.json'), manifestBytes) ? written : unchanged).push('manifest.json');
    return { written, unchanged };
}

if (require.main === module) {
    const { values } = parseArgs({ options: { out: { type: 'string' } } });
    const outDir = values.out ? path.resolve(values.out) : DEFAULT_MODELS_DIR;
    const { written, unchanged } = generateModels(outDir);
    const rel = path.relative(process.cwd(), outDir) || '.';
    // stderr: progress, not output (`npm run devnet -- --json` keeps stdout for its JSON).
    process.stderr.write(
        `models: ${rel}: ${written.length ? `wrote ${written.join(', ')}` : 'up to date'}` +
            (written.length && unchanged.length ? ` (unchanged: ${unchanged.join(', ')})` : '') +
            '\n',
    );
}
