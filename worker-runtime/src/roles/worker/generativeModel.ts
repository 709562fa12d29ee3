/**
 * A worker's generative model: a folder package (refused unless its hash is on the registry) served by the engine of
 * its task (`packageTask`: Whisper layout → speech-to-text, a causal LM → chat, else an embedder), in a worker thread
 * created once.
 */
import { statSync } from 'node:fs';
import { ModelRegistry } from '../../inference';
import { ChatEngine, EmbeddingEngine, SpeechEngine } from '../../inference/generative/engines';
import { loadAllowedPackage, readModelPackage } from '../../inference/generative/modelPackage';
import { packageTask, PackageTask } from '../../inference/generative/packageTask';

export type GenerativeKind = PackageTask;

export interface GenerativeModel {
    kind: GenerativeKind;
    /** The package hash, 64 hex characters. */
    hash: string;
    chat?: ChatEngine;
    embedding?: EmbeddingEngine;
    speech?: SpeechEngine;
    close(): Promise<void>;
}

export function isModelFolder(path: string): boolean {
    try {
        return statSync(path).isDirectory();
    } catch {
        return false;
    }
}

export async function loadGenerativeModel(
    dir: string,
    registry: ModelRegistry | null,
    options: { intraOpThreads?: number } = {},
): Promise<GenerativeModel> {
    const pkg = registry ? loadAllowedPackage(dir, registry) : readModelPackage(dir);
    const kind = packageTask(pkg);
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
