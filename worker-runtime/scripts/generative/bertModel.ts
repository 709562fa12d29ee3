/**
 * A BERT-style encoder with random seeded weights, as sentence-transformers exports look:
 * inputs `input_ids`, `attention_mask`, `token_type_ids` int64 [batch_size, sequence_length]; output
 * `last_hidden_state` float32 [batch_size, sequence_length, hidden]. Word + position + type embeddings, LayerNorm,
 * then post-norm encoder layers (bidirectional attention masked by `attention_mask`, GELU MLP).
 */
import { DataType, GraphBuilder, encodeModel, valueInfo } from './onnxGraph';

export interface BertShape {
    vocabSize: number;
    hiddenSize: number;
    layers: number;
    heads: number;
    intermediateSize: number;
    maxPositions: number;
    seed: number;
}

export function buildBert(shape: BertShape): Uint8Array {
    const { vocabSize: V, hiddenSize: H, heads, intermediateSize: I } = shape;
    const hd = H / heads;
    const g = new GraphBuilder(shape.seed);
    const layerNorm = (x: string, name: string) =>
        g.op(
            'LayerNormalization',
            [
                x,
                g.floats(`${name}.weight`, [H], new Float32Array(H).fill(1)),
                g.floats(`${name}.bias`, [H], new Float32Array(H)),
            ],
            {
                axis: -1,
                epsilon: { float: 1e-12 },
            },
        );
    const linear = (x: string, name: string, inDim: number, outDim: number) =>
        g.op('Add', [
            g.op('MatMul', [x, g.weight(`${name}.weight`, [inDim, outDim], 1 / Math.sqrt(inDim))]),
            g.weight(`${name}.bias`, [outDim], 0.05),
        ]);
    const toHeads = (x: string) =>
        g.op('Transpose', [g.op('Reshape', [x, g.ints(`heads.${g.nodes.length}`, [0, 0, heads, hd])])], {
            perm: [0, 2, 1, 3],
        });

    const idx0 = g.ints('idx0', [0]);
    const idx1 = g.ints('idx1', [1]);
    const seqLen = g.op('Squeeze', [g.op('Gather', [g.op('Shape', ['input_ids']), idx1]), idx0]);
    const positions = g.op('Range', [g.ints('zero', [0], []), seqLen, g.ints('one', [1], [])]);
    let x = g.op('Add', [
        g.op('Add', [
            g.op('Gather', [g.weight('word_embeddings', [V, H], 1), 'input_ids']),
            g.op('Gather', [g.weight('position_embeddings', [shape.maxPositions, H], 0.5), positions]),
        ]),
        g.op('Gather', [g.weight('token_type_embeddings', [2, H], 0.5), 'token_type_ids']),
    ]);
    x = layerNorm(x, 'embeddings.LayerNorm');
    // Additive mask [B,1,1,T] from attention_mask: 0 where 1, -1e9 where 0.
    const visible = g.op('Unsqueeze', [
        g.op('Cast', ['attention_mask'], { to: DataType.BOOL }),
        g.ints('ax12', [1, 2]),
    ]);
    const mask = g.op('Where', [visible, g.floats('mask.open', [], [0]), g.floats('mask.shut', [], [-1e9])]);
    for (let l = 0; l < shape.layers; l++) {
        const p = `encoder.layer.${l}`;
        const q = toHeads(linear(x, `${p}.attention.self.query`, H, H));
        const k = toHeads(linear(x, `${p}.attention.self.key`, H, H));
        const v = toHeads(linear(x, `${p}.attention.self.value`, H, H));
        const scores = g.op('Add', [
            g.op('Mul', [
                g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]),
                g.floats(`${p}.scale`, [], [1 / Math.sqrt(hd)]),
            ]),
            mask,
        ]);
        const ctx = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
        const merged = g.op('Reshape', [
            g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }),
            g.ints(`${p}.flat`, [0, 0, H]),
        ]);
        x = layerNorm(
            g.op('Add', [x, linear(merged, `${p}.attention.output.dense`, H, H)]),
            `${p}.attention.output.LayerNorm`,
        );
        // GELU (erf form): 0.5 x (1 + erf(x / √2)).
        const u = linear(x, `${p}.intermediate.dense`, H, I);
        const gelu = g.op('Mul', [
            g.op('Mul', [u, g.floats(`${p}.half`, [], [0.5])]),
            g.op('Add', [
                g.op('Erf', [g.op('Mul', [u, g.floats(`${p}.rsqrt2`, [], [Math.SQRT1_2])])]),
                g.floats(`${p}.one`, [], [1]),
            ]),
        ]);
        const out = g.op('Add', [x, linear(gelu, `${p}.output.dense`, I, H)]);
        x = layerNorm(out, `${p}.output.LayerNorm`);
    }
    g.op('Identity', [x], {}, 'last_hidden_state');
    const dims = ['batch_size', 'sequence_length'];
    return encodeModel(
        g.graph(
            'tiny-bert',
            [
                valueInfo('input_ids', DataType.INT64, dims),
                valueInfo('attention_mask', DataType.INT64, dims),
                valueInfo('token_type_ids', DataType.INT64, dims),
            ],
            [valueInfo('last_hidden_state', DataType.FLOAT, [...dims, H])],
        ),
        'Tiny BERT-style sentence encoder with random weights (machinery tests, not meaning).',
    );
}
