/**
 * The speech-to-text engine inside one thread, on @huggingface/transformers (pinned 4.3.1): its WhisperFeatureExtractor
 * computes the log-mel features and its WhisperForConditionalGeneration runs encoder + merged decoder with the KV
 * cache and Whisper's decoder prompt and suppression rules. Writing those again (mel filters, STFT, the forced prompt,
 * the suppress lists, the encoder/decoder cache split) would duplicate well-tested code for no gain; what it lacks we
 * add here: audio split into 30 s windows (Whisper's input length) decoded one after another, generated ids without
 * the decoder prompt, and a package-hash check (transformers.js reads the folder from disk, so the folder is hashed
 * again after loading and refused if it changed).
 */
import path from 'node:path';
import { InvalidInputError, ModelNotAllowedError, UnsupportedModelError } from '../errors';
import { ModelPackage, readModelPackage } from './modelPackage';
import { TextProcessor, loadTextProcessor } from './textProcessor';
import { SPEECH_SAMPLE_RATE } from './wav';
import { TranscribeOptions, TranscribeResult } from './types';

export const WINDOW_SECONDS = 30;
/** Longest audio one request may carry (seconds). */
export const MAX_AUDIO_SECONDS = 30 * 60;

// Loaded lazily: the package is large and only speech threads need it.
type Transformers = typeof import('@huggingface/transformers');

interface Loaded {
    model: { generate(args: Record<string, unknown>): Promise<unknown>; dispose(): Promise<unknown> };
    processor: { feature_extractor: (audio: Float32Array) => Promise<{ input_features: unknown }> };
}

/** Whisper's decoder prompt from generation_config.json (English, transcription, no timestamps). */
export function whisperDecoderPrompt(g: Record<string, unknown>, root: string): number[] {
    const start = g.decoder_start_token_id;
    if (typeof start !== 'number')
        throw new UnsupportedModelError(`model package ${root}: generation_config.json has no decoder_start_token_id`);
    const prompt = [start];
    if (g.is_multilingual) {
        const lang = (g.lang_to_id as Record<string, number> | undefined)?.['<|en|>'];
        const task = (g.task_to_id as Record<string, number> | undefined)?.transcribe;
        if (typeof lang !== 'number' || typeof task !== 'number') {
            throw new UnsupportedModelError(
                `model package ${root}: a multilingual Whisper needs lang_to_id and task_to_id`,
            );
        }
        prompt.push(lang, task);
    }
    if (typeof g.no_timestamps_token_id === 'number') prompt.push(g.no_timestamps_token_id);
    return prompt;
}

export class SpeechModel {
    private constructor(
        readonly pkg: ModelPackage,
        readonly text: TextProcessor,
        private readonly loaded: Loaded,
        private readonly maxTargetTokens: number,
        /** Start of transcript, then language and task on multilingual models, then no-timestamps. */
        private readonly decoderPrompt: number[],
    ) {}

    static async create(pkg: ModelPackage, options: { executionProviders?: string[] } = {}): Promise<SpeechModel> {
        const text = loadTextProcessor(pkg);
        const t: Transformers = require('@huggingface/transformers');
        t.env.allowRemoteModels = false;
        t.env.allowLocalModels = true;
        t.env.localModelPath = path.dirname(pkg.root) + path.sep;
        const id = path.basename(pkg.root);
        const device = (options.executionProviders?.[0] ?? 'cpu') as 'cpu';
        const model = (await t.WhisperForConditionalGeneration.from_pretrained(id, {
            dtype: 'fp32',
            device,
        })) as unknown as Loaded['model'];
        const processor = (await t.AutoProcessor.from_pretrained(id)) as unknown as Loaded['processor'];
        if (readModelPackage(pkg.root).hash !== pkg.hash) {
            await model.dispose();
            throw new ModelNotAllowedError(`model package ${pkg.root} changed while it was being loaded`);
        }
        const generation = JSON.parse(
            Buffer.from(pkg.contents.get('generation_config.json') ?? Buffer.from('{}')).toString(),
        );
        const maxLength = typeof generation.max_length === 'number' ? generation.max_length : 448;
        return new SpeechModel(pkg, text, { model, processor }, maxLength, whisperDecoderPrompt(generation, pkg.root));
    }

    async release(): Promise<void> {
        await this.loaded.model.dispose();
    }

    async transcribe(pcm: Float32Array, options: TranscribeOptions = {}): Promise<TranscribeResult> {
        if (!(pcm instanceof Float32Array) || pcm.length === 0)
            throw new InvalidInputError('audio must be non-empty 16 kHz mono samples');
        const durationS = pcm.length / SPEECH_SAMPLE_RATE;
        if (durationS > MAX_AUDIO_SECONDS)
            throw new InvalidInputError(`audio is ${durationS.toFixed(1)} s; the limit is ${MAX_AUDIO_SECONDS} s`);
        const maxTokens = options.maxTokens ?? this.maxTargetTokens - 4;
        if (!Number.isSafeInteger(maxTokens) || maxTokens < 1 || maxTokens > this.maxTargetTokens - 4) {
            throw new InvalidInputError(`max_tokens must be an integer from 1 to ${this.maxTargetTokens - 4}`);
        }
        const tokenIds: number[] = [];
        const window = WINDOW_SECONDS * SPEECH_SAMPLE_RATE;
        for (let start = 0; start < pcm.length; start += window) {
            const { input_features } = await this.loaded.processor.feature_extractor(
                pcm.subarray(start, start + window),
            );
            const out = (await this.loaded.model.generate({
                inputs: input_features,
                max_new_tokens: maxTokens,
                decoder_input_ids: this.decoderPrompt,
            })) as {
                dims: number[];
                data: BigInt64Array;
                tolist(): bigint[][];
            };
            // The decoder prompt comes first in the output: drop it.
            tokenIds.push(...out.tolist()[0].map(Number).slice(this.decoderPrompt.length));
        }
        return { tokenIds, text: this.text.decode(tokenIds).trim(), durationS };
    }
}
