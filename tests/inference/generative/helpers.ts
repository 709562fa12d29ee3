/** Shared set-up for the generative specs: generated folders, an allow-list of them, the transformers.js reference. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { generateModels } from '../../../worker-runtime/scripts/generateModels';
import {
    GENERATED_PACKAGE_KINDS,
    GeneratedPackageName,
    ModelRegistry,
    generatedPackagePath,
    readModelPackage,
    staticModelRegistry,
} from '../../../worker-runtime/src/inference';

let generated = false;

export function packagePath(name: GeneratedPackageName): string {
    // Idempotent but not free (the folders are rebuilt in memory to compare): once per test file.
    if (!generated) generateModels();
    generated = true;
    return generatedPackagePath(name);
}

/** A registry listing every generated folder. */
export function registryOfPackages(): ModelRegistry {
    const names = Object.keys(GENERATED_PACKAGE_KINDS) as GeneratedPackageName[];
    return staticModelRegistry(names.map((n) => readModelPackage(packagePath(n)).hash));
}

/** Runs @huggingface/transformers on a folder in a child process (see hfReference.cjs). */
export function hfReference<T>(job: Record<string, unknown>): T {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'hfReference.cjs'), JSON.stringify(job)], {
        encoding: 'utf8',
        timeout: 60_000,
    });
    return JSON.parse(out) as T;
}
