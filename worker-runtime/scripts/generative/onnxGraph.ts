/**
 * A small ONNX graph builder for the generated test models: named values, seeded float initialisers, int64 constants,
 * and nodes whose outputs get unique, stable names (so the same source always encodes to the same bytes).
 */
import { onnx } from 'onnx-proto';

export const DataType = onnx.TensorProto.DataType;
export type Dim = number | string;
type AttrValue = number | number[] | string | onnx.IGraphProto | { float: number };

/** mulberry32: a tiny seeded PRNG; good enough for reproducible weights. */
export function seededRandom(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export function valueInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
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

function attribute(name: string, value: AttrValue): onnx.IAttributeProto {
    const T = onnx.AttributeProto.AttributeType;
    if (typeof value === 'number') return { name, type: T.INT, i: value };
    if (typeof value === 'string') return { name, type: T.STRING, s: Buffer.from(value) };
    if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
    if ('float' in value) return { name, type: T.FLOAT, f: value.float };
    return { name, type: T.GRAPH, g: value };
}

export class GraphBuilder {
    readonly nodes: onnx.INodeProto[] = [];
    readonly initializers: onnx.ITensorProto[] = [];
    private counter = 0;
    private readonly random: () => number;

    /** `prefix` keeps value names unique when several builders feed one model (an `If`'s branches). */
    constructor(
        seed: number,
        private readonly prefix = '',
    ) {
        this.random = seededRandom(seed);
    }

    /** Float weights uniform in [-scale, scale), drawn from this builder's seeded stream. */
    weight(name: string, dims: number[], scale: number): string {
        const n = dims.reduce((a, b) => a * b, 1);
        const values = new Float32Array(n);
        for (let i = 0; i < n; i++) values[i] = (this.random() * 2 - 1) * scale;
        return this.floats(name, dims, values);
    }

    floats(name: string, dims: number[], values: Float32Array | number[]): string {
        const data = values instanceof Float32Array ? values : Float32Array.from(values);
        this.initializers.push({
            name: this.prefix + name,
            dims,
            dataType: DataType.FLOAT,
            rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
        });
        return this.prefix + name;
    }

    /** An int64 constant; `dims` default: a 1-D tensor of the values. */
    ints(name: string, values: number[], dims: number[] = [values.length]): string {
        const data = BigInt64Array.from(values.map((v) => BigInt(v)));
        this.initializers.push({
            name: this.prefix + name,
            dims,
            dataType: DataType.INT64,
            rawData: new Uint8Array(data.buffer),
        });
        return this.prefix + name;
    }

    /** Adds a node; returns its output names (generated unless given). */
    opN(
        opType: string,
        inputs: string[],
        outputCount: number,
        attrs: Record<string, AttrValue> = {},
        outputs?: string[],
    ) {
        const outs =
            outputs ?? Array.from({ length: outputCount }, (_, i) => `${this.prefix}${opType}_${this.counter}_${i}`);
        this.nodes.push({
            opType,
            input: inputs,
            output: outs,
            name: `${this.prefix}n${this.counter++}_${opType}`,
            attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
        });
        return outs;
    }

    /** A single-output node; `output` names it (graph outputs need their exact names). */
    op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
        return this.opN(opType, inputs, 1, attrs, output ? [output] : undefined)[0];
    }

    graph(name: string, input: onnx.IValueInfoProto[], output: onnx.IValueInfoProto[]): onnx.IGraphProto {
        return { name, input, output, initializer: this.initializers, node: this.nodes };
    }
}

export function encodeModel(graph: onnx.IGraphProto, docString: string, opset = 17): Uint8Array {
    const model: onnx.IModelProto = {
        irVersion: 8,
        opsetImport: [{ domain: '', version: opset }],
        producerName: 'chrysalis-generateModels',
        producerVersion: '1',
        docString,
        graph,
    };
    return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}
