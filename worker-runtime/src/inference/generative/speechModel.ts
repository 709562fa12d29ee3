/**
 * The speech-to-text engine inside one thread, on @huggingface/transformers (pinned 4.3.1): its WhisperFeatureExtractor
 * computes the log-mel features and its WhisperForConditionalGeneration runs encoder + merged decoder with the KV
 * cache and Whisper's decoder prompt and suppression rules. Writing those again (mel filters, STFT, the forced prompt,
 * the suppress lists, the encoder/decoder cache split) would duplicate well-tested code for no gain; what it lacks we
 * add here: long audio split into 30 s windows (Whisper's input length) that overlap by 5 s on each side, decoded one
 * after another and merged on their overlaps as transformers.js's ASR pipeline does (`chunk_length_s` 30,
 * `stride_length_s` 5, its tokenizer's longest-common-sequence merge), so a word cut by one window's edge is read
 * whole in the next; generated ids without the decoder prompt; and a package-hash check (transformers.js reads the folder from disk, so the folder is hashed
 * again after loading and refused if it changed).
 */
import path from 'node:path';
import { InvalidInputError, ModelNotAllowedError, UnsupportedModelError } from '../errors';
import { ModelPackage, readModelPackage } from './modelPackage';
import { TextProcessor, loadTextProcessor } from './textProcessor';
import { SPEECH_SAMPLE_RATE } from './wav';
import { TranscribeOptions, TranscribeResult } from './types';

export const WINDOW_SECONDS = 30;
/** Overlap on each side of a window boundary: transformers.js's default stride (`chunk_length_s / 6`). */
export const STRIDE_SECONDS = WINDOW_SECONDS / 6;

/**
 * The [start, end) sample ranges long audio is decoded in: 30 s windows, each starting 20 s after the previous one
 * (30 − 2 × 5), so consecutive windows share 10 s and every boundary lies 5 s inside both. Audio of at most 30 s is
 * one window. The proxy reserves `max_tokens` per window.
 */
export function speechWindows(samples: number, rate = SPEECH_SAMPLE_RATE): Array<[number, number]> {
    const window = WINDOW_SECONDS * rate;
    const jump = window - 2 * STRIDE_SECONDS * rate;
    const out: Array<[number, number]> = [];
    for (let start = 0; ; start += jump) {
        out.push([start, Math.min(samples, start + window)]);
        if (start + window >= samples) return out;
    }
}
/** Longest audio one request may carry (seconds). */
export const MAX_AUDIO_SECONDS = 30 * 60;

// Loaded lazily: the package is large and only speech threads need it.
type Transformers = typeof import('@huggingface/transformers');

interface Loaded {
    model: { generate(args: Record<string, unknown>): Promise<unknown>; dispose(): Promise<unknown> };
    processor: {
        feature_extractor: (audio: Float32Array) => Promise<{ input_features: unknown }>;
        tokenizer: {
            all_special_ids: number[];
            /** Merges token sequences of overlapping windows (transformers.js's WhisperTokenizer, as its pipeline uses). */
            findLongestCommonSequence(sequences: number[][]): [number[], unknown];
        };
    };
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

    /**
     * One transcript from overlapping windows: their text tokens (special ones such as end-of-text dropped) merged
     * on the overlaps by transformers.js's longest-common-sequence rule, then the last window's own ending.
     */
    private merge(sequences: number[][]): number[] {
        const { tokenizer } = this.loaded.processor;
        const special = new Set(tokenizer.all_special_ids);
        const last = sequences[sequences.length - 1];
        let end = last.length;
        while (end > 0 && special.has(last[end - 1])) end--;
        const [merged] = tokenizer.findLongestCommonSequence(sequences.map((s) => s.filter((id) => !special.has(id))));
        return [...merged.map(Number), ...last.slice(end)];
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
        const sequences: number[][] = [];
        for (const [start, end] of speechWindows(pcm.length)) {
            const { input_features } = await this.loaded.processor.feature_extractor(pcm.subarray(start, end));
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
            sequences.push(out.tolist()[0].map(Number).slice(this.decoderPrompt.length));
        }
        const tokenIds = sequences.length === 1 ? sequences[0] : this.merge(sequences);
        return { tokenIds, text: this.text.decode(tokenIds).trim(), durationS };
    }
}
