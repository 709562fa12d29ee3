/** Shared set-up for the inference specs: the generated models (idempotent, fast) and an allow-list holding them. */
import { readFileSync } from 'node:fs';
import { generateModels } from '../../worker-runtime/scripts/generateModels';
import {
    GeneratedModelName,
    ModelRegistry,
    generatedModelPath,
    sha256Hex,
    sileroVadModelPath,
    staticModelRegistry,
} from '../../worker-runtime/src/inference';

export function ensureModels(): void {
    generateModels();
}

export function modelPath(name: GeneratedModelName | 'silero-vad'): string {
    return name === 'silero-vad' ? sileroVadModelPath() : generatedModelPath(name);
}

export function fileHash(path: string): string {
    return sha256Hex(readFileSync(path));
}

/** A registry listing every model the tests use. */
export function registryOfAll(): ModelRegistry {
    ensureModels();
    const names = ['tiny-mlp', 'embedding', 'dtype-mix', 'silero-vad'] as const;
    return staticModelRegistry(names.map((n) => fileHash(modelPath(n))));
}

/** Deterministic features for row r of the tiny MLP. */
export function featureRows(rows: number, seed = 0): number[] {
    return Array.from({ length: rows * 16 }, (_, i) => Math.sin(seed * 31 + i * 0.37));
}
