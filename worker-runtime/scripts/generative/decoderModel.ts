/**
 * A LLaMA-style decoder-only transformer in the Optimum ONNX I/O convention, with random seeded weights:
 * inputs `input_ids`, `attention_mask`, `position_ids`, `past_key_values.{i}.key|value` (and optionally the scalar
 * `num_logits_to_keep`); outputs `logits` and `present.{i}.key|value`. Embedding Gather, RMSNorm, rotary position
 * embedding gathered by `position_ids`, grouped-query attention with an additive mask (causal + padding), SwiGLU,
 * lm_head. `qwen2` is the same with biases on the q/k/v projections.
 */
import { onnx } from 'onnx-proto';
import { DataType, GraphBuilder, encodeModel, valueInfo } from './onnxGraph';

export interface DecoderShape {
    architecture: 'llama' | 'qwen2';
    vocabSize: number;
    hiddenSize: number;
    layers: number;
    heads: number;
    kvHeads: number;
    headDim: number;
    intermediateSize: number;
    maxPositions: number;
    ropeTheta: number;
    rmsNormEps: number;
    /** Adds the `num_logits_to_keep` input (0 = every position, k = the last k), as newer exports have. */
    logitsToKeepInput: boolean;
    seed: number;
}

function ropeTables(shape: DecoderShape): { cos: Float32Array; sin: Float32Array } {
    const { maxPositions, headDim, ropeTheta } = shape;
    const half = headDim / 2;
    const cos = new Float32Array(maxPositions * headDim);
    const sin = new Float32Array(maxPositions * headDim);
    for (let p = 0; p < maxPositions; p++) {
        for (let i = 0; i < half; i++) {
            const angle = p / Math.pow(ropeTheta, (2 * i) / headDim);
            // HF's rotate_half convention: the frequencies repeat over both halves of the head.
            cos[p * headDim + i] = cos[p * headDim + half + i] = Math.cos(angle);
            sin[p * headDim + i] = sin[p * headDim + half + i] = Math.sin(angle);
        }
    }
    return { cos, sin };
}

export function buildDecoder(shape: DecoderShape): Uint8Array {
    const { vocabSize: V, hiddenSize: H, heads, kvHeads, headDim: hd, intermediateSize: I } = shape;
    const g = new GraphBuilder(shape.seed);
    const wScale = 1 / Math.sqrt(H);
    const rmsNorm = (x: string, name: string) => {
        const w = g.floats(name, [H], new Float32Array(H).fill(1));
        const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
        const eps = g.floats(`${name}.eps`, [], [shape.rmsNormEps]);
        const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [ms, eps])])]);
        return g.op('Mul', [g.op('Mul', [x, inv]), w]);
    };

    // Shapes and constants shared by the layers.
    const zero = g.ints('zero', [0], []);
    const one = g.ints('one', [1], []);
    const idx0 = g.ints('idx0', [0]);
    const idx1 = g.ints('idx1', [1]);
    const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), idx1]); // [1]
    const totalLen = g.op('Gather', [g.op('Shape', ['attention_mask']), idx1]); // [1]
    const pastLen = g.op('Sub', [totalLen, seqLen]);
    const scalar = (t: string) => g.op('Squeeze', [t, idx0]);
    // Additive mask [B,1,S,T]: key j is visible to query i when j ≤ past + i and attention_mask[j] = 1.
    const keyPos = g.op('Range', [zero, scalar(totalLen), one]); // [T]
    const queryPos = g.op('Add', [g.op('Range', [zero, scalar(seqLen), one]), pastLen]); // [S]
    const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [keyPos, idx0]), g.op('Unsqueeze', [queryPos, idx1])]); // [S,T]
    const padOk = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], { to: DataType.BOOL }), g.ints('ax12', [1, 2])]);
    const visible = g.op('And', [causal, padOk]); // [B,1,S,T]
    const mask = g.op('Where', [visible, g.floats('mask.open', [], [0]), g.floats('mask.shut', [], [-1e9])]);

    const { cos, sin } = ropeTables(shape);
    const cosT = g.op('Unsqueeze', [
        g.op('Gather', [g.floats('rope.cos', [shape.maxPositions, hd], cos), 'position_ids']),
        idx1,
    ]);
    const sinT = g.op('Unsqueeze', [
        g.op('Gather', [g.floats('rope.sin', [shape.maxPositions, hd], sin), 'position_ids']),
        idx1,
    ]);
    const halves = g.ints('rope.halves', [hd / 2, hd / 2]);
    const rope = (x: string) => {
        const [x1, x2] = g.opN('Split', [x, halves], 2, { axis: -1 });
        const rotated = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
        return g.op('Add', [g.op('Mul', [x, cosT]), g.op('Mul', [rotated, sinT])]);
    };
    const toHeads = (x: string, n: number) =>
        g.op('Transpose', [g.op('Reshape', [x, g.ints(`heads${n}.${g.nodes.length}`, [0, 0, n, hd])])], {
            perm: [0, 2, 1, 3],
        });
    const repeatKv = (x: string) =>
        heads === kvHeads
            ? x
            : g.op('Reshape', [
                  g.op('Expand', [
                      g.op('Unsqueeze', [x, g.ints(`u2.${g.nodes.length}`, [2])]),
                      g.ints(`rep.${g.nodes.length}`, [1, 1, heads / kvHeads, 1, 1]),
                  ]),
                  g.ints(`merge.${g.nodes.length}`, [0, heads, -1, hd]),
              ]);
    const linear = (x: string, name: string, inDim: number, outDim: number, bias: boolean) => {
        const y = g.op('MatMul', [x, g.weight(`${name}.weight`, [inDim, outDim], wScale)]);
        return bias ? g.op('Add', [y, g.weight(`${name}.bias`, [outDim], 0.1)]) : y;
    };

    let x = g.op('Gather', [g.weight('embed_tokens', [V, H], 1), 'input_ids']);
    const pastInputs: onnx.IValueInfoProto[] = [];
    const presentOutputs: onnx.IValueInfoProto[] = [];
    const qkvBias = shape.architecture === 'qwen2';
    for (let l = 0; l < shape.layers; l++) {
        const p = `layers.${l}`;
        const h = rmsNorm(x, `${p}.input_layernorm`);
        const q = rope(toHeads(linear(h, `${p}.q_proj`, H, heads * hd, qkvBias), heads));
        const k = rope(toHeads(linear(h, `${p}.k_proj`, H, kvHeads * hd, qkvBias), kvHeads));
        const v = toHeads(linear(h, `${p}.v_proj`, H, kvHeads * hd, qkvBias), kvHeads);
        for (const kv of ['key', 'value']) {
            pastInputs.push(
                valueInfo(`past_key_values.${l}.${kv}`, DataType.FLOAT, [
                    'batch_size',
                    kvHeads,
                    'past_sequence_length',
                    hd,
                ]),
            );
            presentOutputs.push(
                valueInfo(`present.${l}.${kv}`, DataType.FLOAT, ['batch_size', kvHeads, 'total_sequence_length', hd]),
            );
        }
        const presentK = g.op('Concat', [`past_key_values.${l}.key`, k], { axis: 2 }, `present.${l}.key`);
        const presentV = g.op('Concat', [`past_key_values.${l}.value`, v], { axis: 2 }, `present.${l}.value`);
        const kT = g.op('Transpose', [repeatKv(presentK)], { perm: [0, 1, 3, 2] });
        const scores = g.op('Add', [
            g.op('Mul', [g.op('MatMul', [q, kT]), g.floats(`${p}.scale`, [], [1 / Math.sqrt(hd)])]),
            mask,
        ]);
        const attn = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), repeatKv(presentV)]);
        const merged = g.op('Reshape', [
            g.op('Transpose', [attn], { perm: [0, 2, 1, 3] }),
            g.ints(`${p}.flat`, [0, 0, heads * hd]),
        ]);
        x = g.op('Add', [x, linear(merged, `${p}.o_proj`, heads * hd, H, false)]);
        const h2 = rmsNorm(x, `${p}.post_attention_layernorm`);
        const gate = linear(h2, `${p}.gate_proj`, H, I, false);
        const up = linear(h2, `${p}.up_proj`, H, I, false);
        const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
        x = g.op('Add', [x, linear(act, `${p}.down_proj`, I, H, false)]);
    }
    let last = rmsNorm(x, 'norm');
    const inputs = [
        valueInfo('input_ids', DataType.INT64, ['batch_size', 'sequence_length']),
        valueInfo('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']),
        valueInfo('position_ids', DataType.INT64, ['batch_size', 'sequence_length']),
        ...pastInputs,
    ];
    if (shape.logitsToKeepInput) {
        // Keep the last k positions before lm_head (k = 0 keeps all): Slice from -k, or from 0 when k is 0.
        const k = 'num_logits_to_keep';
        const isZero = g.op('Equal', [k, zero]);
        const start = g.op('Unsqueeze', [g.op('Where', [isZero, zero, g.op('Neg', [k])]), idx0]);
        last = g.op('Slice', [last, start, g.ints('slice.end', [Number.MAX_SAFE_INTEGER]), idx1]);
        inputs.push(valueInfo(k, DataType.INT64, []));
    }
    g.op('MatMul', [last, g.weight('lm_head', [H, V], wScale)], {}, 'logits');
    const outputs = [
        valueInfo('logits', DataType.FLOAT, ['batch_size', 'logits_sequence_length', V]),
        ...presentOutputs,
    ];
    return encodeModel(
        g.graph(`tiny-${shape.architecture}`, inputs, outputs),
        `Tiny ${shape.architecture} decoder with random weights (machinery tests, not language).`,
    );
}
