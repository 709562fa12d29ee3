/**
 * A Whisper-layout speech-to-text pair with random seeded weights, in the Optimum export convention transformers.js
 * loads: `onnx/encoder_model.onnx` (input_features [batch_size, 80, 3000] → last_hidden_state [batch_size, 1500, d])
 * and `onnx/decoder_model_merged.onnx`, whose `If` on `use_cache_branch` either computes the cross-attention keys and
 * values from `encoder_hidden_states` (first step) or passes the cached ones through.
 * The encoder is convolutional only (two Conv1d + GELU, positions, LayerNorm): no self-attention, to stay tiny.
 */
import { onnx } from 'onnx-proto';
import { DataType, GraphBuilder, encodeModel, valueInfo } from './onnxGraph';

export interface WhisperShape {
    vocabSize: number;
    dModel: number;
    heads: number;
    decoderLayers: number;
    melBins: number;
    maxTargetPositions: number;
    seed: number;
}

export const ENCODER_FRAMES = 3000;
export const ENCODER_POSITIONS = 1500;

function gelu(g: GraphBuilder, x: string, name: string): string {
    const erf = g.op('Erf', [g.op('Mul', [x, g.floats(`${name}.rsqrt2`, [], [Math.SQRT1_2])])]);
    return g.op('Mul', [
        g.op('Mul', [x, g.floats(`${name}.half`, [], [0.5])]),
        g.op('Add', [erf, g.floats(`${name}.one`, [], [1])]),
    ]);
}

function layerNorm(g: GraphBuilder, x: string, name: string, dim: number): string {
    return g.op(
        'LayerNormalization',
        [
            x,
            g.floats(`${name}.weight`, [dim], new Float32Array(dim).fill(1)),
            g.floats(`${name}.bias`, [dim], new Float32Array(dim)),
        ],
        {
            axis: -1,
            epsilon: { float: 1e-5 },
        },
    );
}

export function buildWhisperEncoder(shape: WhisperShape): Uint8Array {
    const { dModel: d, melBins } = shape;
    const g = new GraphBuilder(shape.seed);
    let x = g.op(
        'Conv',
        [
            'input_features',
            g.weight('conv1.weight', [d, melBins, 3], 1 / Math.sqrt(melBins * 3)),
            g.weight('conv1.bias', [d], 0.05),
        ],
        { pads: [1, 1] },
    );
    x = gelu(g, x, 'conv1');
    x = g.op(
        'Conv',
        [x, g.weight('conv2.weight', [d, d, 3], 1 / Math.sqrt(d * 3)), g.weight('conv2.bias', [d], 0.05)],
        { pads: [1, 1], strides: [2] },
    );
    x = gelu(g, x, 'conv2');
    x = g.op('Add', [
        g.op('Transpose', [x], { perm: [0, 2, 1] }),
        g.weight('embed_positions', [ENCODER_POSITIONS, d], 0.5),
    ]);
    layerNorm(g, x, 'layer_norm', d);
    g.nodes[g.nodes.length - 1].output = ['last_hidden_state'];
    return encodeModel(
        g.graph(
            'tiny-whisper-encoder',
            [valueInfo('input_features', DataType.FLOAT, ['batch_size', melBins, ENCODER_FRAMES])],
            [valueInfo('last_hidden_state', DataType.FLOAT, ['batch_size', ENCODER_POSITIONS, d])],
        ),
        'Tiny Whisper-layout encoder with random weights.',
    );
}

export function buildWhisperDecoder(shape: WhisperShape): Uint8Array {
    const { dModel: d, heads, vocabSize: V, decoderLayers: L } = shape;
    const hd = d / heads;
    const g = new GraphBuilder(shape.seed + 1);
    const linear = (b: GraphBuilder, x: string, name: string, bias: boolean) => {
        const y = b.op('MatMul', [x, b.weight(`${name}.weight`, [d, d], 1 / Math.sqrt(d))]);
        return bias ? b.op('Add', [y, b.weight(`${name}.bias`, [d], 0.05)]) : y;
    };
    const toHeads = (b: GraphBuilder, x: string) =>
        b.op('Transpose', [b.op('Reshape', [x, b.ints(`heads.${b.nodes.length}`, [0, 0, heads, hd])])], {
            perm: [0, 2, 1, 3],
        });
    const kvDims = (len: string) => ['batch_size', heads, len, hd];

    // Cross-attention keys/values: computed from the encoder output on the first step, passed through afterwards.
    const computeBranch = new GraphBuilder(shape.seed + 2, 'compute.');
    const reuseBranch = new GraphBuilder(shape.seed + 3, 'reuse.');
    const crossOut: onnx.IValueInfoProto[] = [];
    const reuseOut: onnx.IValueInfoProto[] = [];
    const ifOutputs: string[] = [];
    for (let l = 0; l < L; l++) {
        for (const kv of ['key', 'value'] as const) {
            const computed = toHeads(
                computeBranch,
                linear(
                    computeBranch,
                    'encoder_hidden_states',
                    `layers.${l}.encoder_attn.${kv[0]}_proj`,
                    kv === 'value',
                ),
            );
            crossOut.push(valueInfo(computed, DataType.FLOAT, kvDims('encoder_sequence_length_out')));
            const passed = reuseBranch.op('Identity', [`past_key_values.${l}.encoder.${kv}`]);
            reuseOut.push(valueInfo(passed, DataType.FLOAT, kvDims('encoder_sequence_length_out')));
            ifOutputs.push(`present.${l}.encoder.${kv}`);
        }
    }
    const idx0 = g.ints('idx0', [0]);
    const idx2 = g.ints('idx2', [2]);
    g.op('Squeeze', ['use_cache_branch', idx0], {}, 'use_cache_branch_scalar');
    g.opN(
        'If',
        ['use_cache_branch_scalar'],
        ifOutputs.length,
        {
            then_branch: reuseBranch.graph('reuse_cross_kv', [], reuseOut),
            else_branch: computeBranch.graph('compute_cross_kv', [], crossOut),
        },
        ifOutputs,
    );

    const zero = g.ints('zero', [0], []);
    const one = g.ints('one', [1], []);
    const seqLen = g.op('Squeeze', [g.op('Gather', [g.op('Shape', ['input_ids']), g.ints('idx1', [1])]), idx0]);
    const pastLen = g.op('Squeeze', [g.op('Gather', [g.op('Shape', ['past_key_values.0.decoder.key']), idx2]), idx0]);
    const positions = g.op('Range', [pastLen, g.op('Add', [pastLen, seqLen]), one]);
    const totalLen = g.op('Add', [pastLen, seqLen]);
    const causal = g.op('LessOrEqual', [
        g.op('Unsqueeze', [g.op('Range', [zero, totalLen, one]), idx0]),
        g.op('Unsqueeze', [positions, g.ints('idx1b', [1])]),
    ]);
    const selfMask = g.op('Where', [causal, g.floats('mask.open', [], [0]), g.floats('mask.shut', [], [-1e9])]);
    const scale = g.floats('scale', [], [1 / Math.sqrt(hd)]);
    const attend = (q: string, k: string, v: string, mask?: string) => {
        let s = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), scale]);
        if (mask) s = g.op('Add', [s, mask]);
        const ctx = g.op('MatMul', [g.op('Softmax', [s], { axis: -1 }), v]);
        return g.op('Reshape', [
            g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }),
            g.ints(`flat.${g.nodes.length}`, [0, 0, d]),
        ]);
    };

    let x = g.op('Add', [
        g.op('Gather', [g.weight('embed_tokens', [V, d], 1), 'input_ids']),
        g.op('Gather', [g.weight('embed_positions', [shape.maxTargetPositions, d], 0.5), positions]),
    ]);
    const inputs: onnx.IValueInfoProto[] = [
        valueInfo('input_ids', DataType.INT64, ['batch_size', 'decoder_sequence_length']),
        valueInfo('encoder_hidden_states', DataType.FLOAT, ['batch_size', 'encoder_sequence_length / 2', d]),
    ];
    const outputs: onnx.IValueInfoProto[] = [
        valueInfo('logits', DataType.FLOAT, ['batch_size', 'decoder_sequence_length', V]),
    ];
    for (let l = 0; l < L; l++) {
        const p = `layers.${l}`;
        const h = layerNorm(g, x, `${p}.self_attn_layer_norm`, d);
        const q = toHeads(g, linear(g, h, `${p}.self_attn.q_proj`, true));
        const k = toHeads(g, linear(g, h, `${p}.self_attn.k_proj`, false));
        const v = toHeads(g, linear(g, h, `${p}.self_attn.v_proj`, true));
        const presentK = g.op(
            'Concat',
            [`past_key_values.${l}.decoder.key`, k],
            { axis: 2 },
            `present.${l}.decoder.key`,
        );
        const presentV = g.op(
            'Concat',
            [`past_key_values.${l}.decoder.value`, v],
            { axis: 2 },
            `present.${l}.decoder.value`,
        );
        x = g.op('Add', [x, linear(g, attend(q, presentK, presentV, selfMask), `${p}.self_attn.out_proj`, true)]);
        const h2 = layerNorm(g, x, `${p}.encoder_attn_layer_norm`, d);
        const q2 = toHeads(g, linear(g, h2, `${p}.encoder_attn.q_proj`, true));
        const cross = attend(q2, `present.${l}.encoder.key`, `present.${l}.encoder.value`);
        x = g.op('Add', [x, linear(g, cross, `${p}.encoder_attn.out_proj`, true)]);
        const h3 = layerNorm(g, x, `${p}.final_layer_norm`, d);
        const fc1 = g.op('Add', [
            g.op('MatMul', [h3, g.weight(`${p}.fc1.weight`, [d, 4 * d], 1 / Math.sqrt(d))]),
            g.weight(`${p}.fc1.bias`, [4 * d], 0.05),
        ]);
        const fc2 = g.op('Add', [
            g.op('MatMul', [gelu(g, fc1, `${p}.fc1`), g.weight(`${p}.fc2.weight`, [4 * d, d], 1 / Math.sqrt(4 * d))]),
            g.weight(`${p}.fc2.bias`, [d], 0.05),
        ]);
        x = g.op('Add', [x, fc2]);
        for (const kv of ['key', 'value']) {
            inputs.push(
                valueInfo(`past_key_values.${l}.decoder.${kv}`, DataType.FLOAT, kvDims('past_decoder_sequence_length')),
            );
            outputs.push(
                valueInfo(`present.${l}.decoder.${kv}`, DataType.FLOAT, kvDims('past_decoder_sequence_length + 1')),
            );
        }
        for (const kv of ['key', 'value']) {
            inputs.push(
                valueInfo(`past_key_values.${l}.encoder.${kv}`, DataType.FLOAT, kvDims('encoder_sequence_length_out')),
            );
            outputs.push(
                valueInfo(`present.${l}.encoder.${kv}`, DataType.FLOAT, kvDims('encoder_sequence_length_out')),
            );
        }
    }
    const final = layerNorm(g, x, 'layer_norm', d);
    // Whisper ties the output projection to the token embedding.
    g.op('MatMul', [final, g.op('Transpose', ['embed_tokens'], { perm: [1, 0] })], {}, 'logits');
    inputs.push(valueInfo('use_cache_branch', DataType.BOOL, [1]));
    return encodeModel(
        g.graph('tiny-whisper-decoder-merged', inputs, outputs),
        'Tiny Whisper-layout merged decoder with random weights.',
    );
}
