import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';

/**
 * A real ONNX model whose run time grows with its batch dimension: `x` float32 [batch, 256] goes through `layers`
 * MatMul+Tanh steps that share one 256×256 weight (so the file stays small). A batch of a few hundred rows keeps a
 * worker busy for about a second: long enough to kill it mid-job.
 */
export function writeSlowModel(layers = 300): { path: string; hash: string } {
    const width = 256;
    const weights = new Float32Array(width * width);
    for (let i = 0; i < weights.length; i++) weights[i] = Math.sin(i * 12.9898) / 16;
    const nodes: onnx.INodeProto[] = [];
    let current = 'x';
    for (let i = 0; i < layers; i++) {
        nodes.push({ opType: 'MatMul', input: [current, 'w'], output: [`m${i}`], name: `mm${i}` });
        nodes.push({ opType: 'Tanh', input: [`m${i}`], output: [`t${i}`], name: `tanh${i}` });
        current = `t${i}`;
    }
    nodes.push({
        opType: 'ReduceMean',
        input: [current],
        output: ['y'],
        name: 'sum',
        attribute: [
            { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
            { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
        ],
    });
    const dims = (d: Array<number | string>) => ({
        dim: d.map((v) => (typeof v === 'number' ? { dimValue: v } : { dimParam: v })),
    });
    const model: onnx.IModelProto = {
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        producerName: 'chrysalis-tests',
        graph: {
            name: 'slow',
            input: [
                {
                    name: 'x',
                    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: dims(['batch', width]) } },
                },
            ],
            output: [
                {
                    name: 'y',
                    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: dims(['batch']) } },
                },
            ],
            initializer: [
                {
                    name: 'w',
                    dims: [width, width],
                    dataType: onnx.TensorProto.DataType.FLOAT,
                    rawData: new Uint8Array(weights.buffer),
                },
            ],
            node: nodes,
        },
    };
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'chrysalis-slow-')), 'slow.onnx');
    writeFileSync(file, bytes);
    return { path: file, hash: createHash('sha256').update(bytes).digest('hex') };
}

export function slowInputs(batch: number) {
    return {
        x: {
            type: 'float32',
            dims: [batch, 256],
            data: Array.from({ length: batch * 256 }, (_, i) => Math.cos(i) / 4),
        },
    };
}
