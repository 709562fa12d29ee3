/**
 * Public API of the generative engines (chat, embeddings, speech-to-text) and of model packages.
 *
 *   const chat = await ChatEngine.create(dir, { registry });                 // package hash must be listed
 *   const r = await chat.generate({ messages, maxTokens: 64, seed: 7 }, (t) => send(t.textDelta));
 *   const text = loadTextProcessor(dir);                                      // tokenizer + template, no weights
 *   text.encodeChat(messages).length === r.usage.promptTokens;
 */
export { ChatEngine, EmbeddingEngine, SpeechEngine } from './engines';
export type { EngineOptions, PackageInfo } from './engines';
export { MAX_STOP_STRINGS, MAX_STOP_STRING_LENGTH, validateGenerateRequest } from './chatModel';
export type { ChatModelOptions } from './chatModel';
export { MAX_EMBED_INPUTS } from './embeddingModel';
export type { EmbeddingModelOptions } from './embeddingModel';
export { MAX_AUDIO_SECONDS, STRIDE_SECONDS, WINDOW_SECONDS, speechWindows } from './speechModel';
export { PACKAGE_MANIFEST_HEADER, loadAllowedPackage, packageManifest, readModelPackage } from './modelPackage';
export type { ModelPackage, PackageFile } from './modelPackage';
export { packageTask } from './packageTask';
export type { PackageTask } from './packageTask';
export { CHAT_ROLES, countReasoningTokens, loadTextProcessor, validateMessages } from './textProcessor';
export type { ChatMessage, TextProcessor, ThinkSpan } from './textProcessor';
export { SPEECH_SAMPLE_RATE, WavFormatError, WavLayoutError, encodeWav, parseWav } from './wav';
export type { DecodedWav } from './wav';
export type {
    EmbedResult,
    FinishReason,
    GenerateRequest,
    GenerateResult,
    GenerateUsage,
    OnToken,
    TokenEvent,
    TranscribeOptions,
    TranscribeResult,
} from './types';
