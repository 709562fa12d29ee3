/**
 * The embedding engine inside one thread: a BERT-style encoder (`onnx/model.onnx` with `last_hidden_state`, or
 * `token_embeddings`), its tokenizer, mean pooling over the attention mask and L2 normalisation — what
 * sentence-transformers and transformers.js's feature-extraction (pooling 'mean', normalize) compute. Inputs run in
 * batches, padded to the longest input of the batch.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { InvalidInputError, UnsupportedModelError } from '../errors';
import { ModelPackage } from './modelPackage';
import { createSession, SessionOptions } from './sessionFiles';
import { TextProcessor, loadTextProcessor } from './textProcessor';
import { EmbedResult } from './types';

export const MAX_EMBED_INPUTS = 256;

export interface EmbeddingModelOptions extends SessionOptions {
    /** Inputs per forward pass (default 16). */
    batchSize?: number;
}

export class EmbeddingModel {
    private constructor(
        readonly pkg: ModelPackage,
        readonly text: TextProcessor,
        private readonly session: InferenceSession,
        private readonly outputName: string,
        private readonly batchSize: number,
    ) {}

    static async create(pkg: ModelPackage, options: EmbeddingModelOptions = {}): Promise<EmbeddingModel> {
        const text = loadTextProcessor(pkg);
        const session = await createSession(pkg, options.modelFile ?? 'onnx/model.onnx', options);
        const outputName = ['last_hidden_state', 'token_embeddings'].find((n) => session.outputNames.includes(n));
        if (
            !outputName ||
            !session.inputNames.includes('input_ids') ||
            !session.inputNames.includes('attention_mask')
        ) {
            await session.release();
            throw new UnsupportedModelError(
                `model package ${pkg.root}: an embedder needs inputs input_ids and attention_mask and an output ` +
                    `last_hidden_state (or token_embeddings); the graph has ${session.inputNames.join(', ')} → ${session.outputNames.join(', ')}`,
            );
        }
        return new EmbeddingModel(pkg, text, session, outputName, options.batchSize ?? 16);
    }

    async release(): Promise<void> {
        await this.session.release();
    }

    /** Token ids of each input, checked against the context length. */
    tokenize(inputs: readonly string[]): number[][] {
        if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > MAX_EMBED_INPUTS) {
            throw new InvalidInputError(`input must be an array of 1 to ${MAX_EMBED_INPUTS} strings`);
        }
        return inputs.map((s, i) => {
            if (typeof s !== 'string') throw new InvalidInputError(`input[${i}] must be a string`);
            const ids = this.text.encode(s);
            if (this.text.contextLength > 0 && ids.length > this.text.contextLength) {
                throw new InvalidInputError(
                    `input[${i}] has ${ids.length} tokens; the model takes at most ${this.text.contextLength}`,
                );
            }
            return ids;
        });
    }

    async embed(inputs: string[]): Promise<EmbedResult> {
        const all = this.tokenize(inputs);
        const embeddings: number[][] = [];
        for (let start = 0; start < all.length; start += this.batchSize) {
            embeddings.push(...(await this.runBatch(all.slice(start, start + this.batchSize))));
        }
        return { embeddings, promptTokens: all.reduce((n, ids) => n + ids.length, 0) };
    }

    private async runBatch(batch: number[][]): Promise<number[][]> {
        const B = batch.length;
        const T = Math.max(...batch.map((ids) => ids.length));
        const padId = BigInt(this.text.specialTokens.pad_token?.id ?? 0);
        const ids = new BigInt64Array(B * T).fill(padId);
        const mask = new BigInt64Array(B * T);
        batch.forEach((row, b) =>
            row.forEach((id, t) => {
                ids[b * T + t] = BigInt(id);
                mask[b * T + t] = 1n;
            }),
        );
        const feeds: Record<string, Tensor> = {
            input_ids: new Tensor('int64', ids, [B, T]),
            attention_mask: new Tensor('int64', mask, [B, T]),
        };
        if (this.session.inputNames.includes('token_type_ids')) {
            feeds.token_type_ids = new Tensor('int64', new BigInt64Array(B * T), [B, T]);
        }
        const out = (await this.session.run(feeds))[this.outputName];
        const H = out.dims[2];
        const hidden = out.data as Float32Array;
        return batch.map((row, b) => {
            // Mean over the real (unpadded) positions, then divide by the L2 norm (clamped as torch's normalize does).
            const v = new Float64Array(H);
            for (let t = 0; t < row.length; t++) for (let h = 0; h < H; h++) v[h] += hidden[(b * T + t) * H + h];
            let norm = 0;
            for (let h = 0; h < H; h++) {
                v[h] /= row.length;
                norm += v[h] * v[h];
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            return Array.from(v, (x) => x / norm);
        });
    }
}
