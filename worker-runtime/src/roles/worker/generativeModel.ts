/**
 * A worker's generative model: a folder package (refused unless its hash is on the registry) served by the engine of
 * its task, in a worker thread created once. The task comes from config.json's `model_type`: `bert`-family encoders
 * are embedders, `whisper` is speech-to-text, any other decoder is chat.
 */
import { statSync } from 'node:fs';
import { ModelRegistry } from '../../inference';
import { ChatEngine, EmbeddingEngine, SpeechEngine } from '../../inference/generative/engines';
import { loadAllowedPackage, packageJson, readModelPackage } from '../../inference/generative/modelPackage';

export type GenerativeKind = 'chat' | 'text-embedding' | 'speech-to-text';

export interface GenerativeModel {
    kind: GenerativeKind;
    /** The package hash, 64 hex characters. */
    hash: string;
    chat?: ChatEngine;
    embedding?: EmbeddingEngine;
    speech?: SpeechEngine;
    close(): Promise<void>;
}

const ENCODERS = new Set(['bert', 'roberta', 'xlm-roberta', 'distilbert', 'mpnet', 'nomic_bert']);

export function isModelFolder(path: string): boolean {
    try {
        return statSync(path).isDirectory();
    } catch {
        return false;
    }
}

export function generativeKindOf(modelType: string): GenerativeKind {
    if (modelType === 'whisper') return 'speech-to-text';
    if (ENCODERS.has(modelType)) return 'text-embedding';
    return 'chat';
}

export async function loadGenerativeModel(
    dir: string,
    registry: ModelRegistry | null,
    options: { intraOpThreads?: number } = {},
): Promise<GenerativeModel> {
    const pkg = registry ? loadAllowedPackage(dir, registry) : readModelPackage(dir);
    const config = packageJson<{ model_type?: string }>(pkg, 'config.json');
    const kind = generativeKindOf(String(config.model_type ?? ''));
    const engineOptions = { registry: null, intraOpThreads: options.intraOpThreads };
    if (kind === 'chat') {
        const chat = await ChatEngine.create(pkg, engineOptions);
        return { kind, hash: pkg.hash, chat, close: () => chat.close() };
    }
    if (kind === 'text-embedding') {
        const embedding = await EmbeddingEngine.create(pkg, engineOptions);
        return { kind, hash: pkg.hash, embedding, close: () => embedding.close() };
    }
    const speech = await SpeechEngine.create(pkg, engineOptions);
    return { kind, hash: pkg.hash, speech, close: () => speech.close() };
}
