/**
 * What a generative exchange is, as the worker signs it and the proxy and the client check it (docs/inference.md,
 * "What a generation receipt covers"). The receipt cell is protocol/receipt.ts's; for a generation its
 *
 *   input_hash  = the request hash: hashJson(inputs), the canonical JSON of the signed request's `inputs`
 *                 (messages or prompt, and every sampling parameter);
 *   model_hash  = the model package hash;
 *   output_hash = hashJson(summary), where summary = {promptTokens, completionIdsHash, textHash, finishReason, usage}
 *                 with completionIdsHash = SHA-256 of the canonical JSON of the completion ids ("[1,2,3]") and
 *                 textHash = SHA-256 of the UTF-8 output text, both as 64 hex characters.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, hashJson } from './canonical';

export type FinishReason = 'stop' | 'length' | 'cancelled' | 'deadline';
export const FINISH_REASONS: readonly FinishReason[] = ['stop', 'length', 'cancelled', 'deadline'];

/** Token counts of one generation as the worker reports them (the proxy recounts what it can, see metering). */
export interface GenerationUsage {
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    reasoningTokens: number;
}

export interface GenerationSummary {
    promptTokens: number;
    completionIdsHash: string;
    textHash: string;
    finishReason: FinishReason;
    usage: GenerationUsage;
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export function completionIdsHash(ids: readonly number[]): string {
    return sha256Hex(canonicalJson(ids));
}

export function generationSummary(args: {
    promptTokens: number;
    completionTokenIds: readonly number[];
    text: string;
    finishReason: FinishReason;
    usage: GenerationUsage;
}): GenerationSummary {
    const u = args.usage;
    return {
        promptTokens: args.promptTokens,
        completionIdsHash: completionIdsHash(args.completionTokenIds),
        textHash: sha256Hex(Buffer.from(args.text, 'utf8')),
        finishReason: args.finishReason,
        usage: {
            promptTokens: u.promptTokens,
            cachedTokens: u.cachedTokens,
            completionTokens: u.completionTokens,
            reasoningTokens: u.reasoningTokens,
        },
    };
}

/** The receipt's output hash of a generation. */
export function generationOutputHash(summary: GenerationSummary): bigint {
    return hashJson(summary);
}

/** One streamed token as it travels in a chunk: index in the completion, id, and the text it completed. */
export interface StreamedToken {
    i: number;
    id: number;
    t: string;
}

/** The final chunk of a generation stream (sealed like every chunk). */
export type GenerationFinal =
    | {
          ok: true;
          promptTokens: number;
          completionTokenIds: number[];
          text: string;
          finishReason: FinishReason;
          usage: GenerationUsage;
          workerKey: string;
          /** Ed25519 signature (hex) of the receipt cell's hash. */
          signature: string;
          /** True when this is the stored answer to a request the worker had already signed. */
          repeated?: boolean;
      }
    | { ok: false; name: string; message: string; permanent: boolean; workerKey: string };
