/**
 * The models the devnet lists in its registry: the generated ones (`npm run models`) and the real Silero VAD model.
 * Each is identified on chain by the SHA-256 of its file and carries its metering kind as a uint8.
 */
import {
    GENERATED_PACKAGE_KINDS,
    GeneratedModelName,
    GeneratedPackageName,
    KNOWN_MODEL_KINDS,
    generatedModelPath,
    generatedPackagePath,
    sileroVadModelPath,
} from '../inference/catalog';
import { readModelPackage } from '../inference/generative/modelPackage';
import { ModelKind } from '../inference/metering';
import { modelKindCode } from '../inference/kinds';
import { readModelFile } from '../inference/modelFile';

export type DevnetModelName = GeneratedModelName | 'silero-vad';

export const DEVNET_MODEL_NAMES: readonly DevnetModelName[] = ['tiny-mlp', 'embedding', 'dtype-mix', 'silero-vad'];

/** The generative model folders the devnet serves (chat with a think span, an embedder, a Whisper), by default. */
export type DevnetGenerativeName = GeneratedPackageName;
export const DEVNET_GENERATIVE_NAMES: readonly DevnetGenerativeName[] = ['chat-think', 'embedder', 'whisper'];

export interface DevnetModel {
    name: DevnetModelName | DevnetGenerativeName;
    /** A folder package served by a generative engine (hash = its canonical manifest's SHA-256). */
    package?: boolean;
    path: string;
    /** SHA-256 of the file, 64 lowercase hex characters. */
    hashHex: string;
    /** The same hash as the registry stores it (uint256). */
    hash: bigint;
    kind: ModelKind;
    /** The kind as the registry's `ModelInfo.kind` (uint8): 1 + its index in MODEL_KINDS. */
    kindCode: bigint;
}

export function devnetModelPath(name: DevnetModelName): string {
    return name === 'silero-vad' ? sileroVadModelPath() : generatedModelPath(name);
}

/** Reads and hashes the devnet's models (run `npm run models` first for the generated ones). */
export async function loadDevnetModels(names: readonly DevnetModelName[] = DEVNET_MODEL_NAMES): Promise<DevnetModel[]> {
    return Promise.all(
        names.map(async (name) => {
            if (!DEVNET_MODEL_NAMES.includes(name)) {
                throw new RangeError(`unknown devnet model '${name}' (known: ${DEVNET_MODEL_NAMES.join(', ')})`);
            }
            const path = devnetModelPath(name);
            let hashHex: string;
            try {
                hashHex = (await readModelFile(path)).hash;
            } catch (err) {
                throw new Error(`${(err as Error).message} (run \`npm run models\` to generate the devnet models)`);
            }
            const kind = KNOWN_MODEL_KINDS[name];
            return { name, path, hashHex, hash: BigInt('0x' + hashHex), kind, kindCode: modelKindCode(kind) };
        }),
    );
}

/** A generative folder of the operator's own (`npm run bench:generate -- --model <dir>`), with its task. */
export interface ExtraPackage {
    name: string;
    path: string;
    kind: 'chat' | 'text-embedding' | 'speech-to-text';
}

/** Reads and hashes the devnet's generative model folders (run `npm run models` first), and any extra ones. */
export function loadDevnetPackages(
    names: readonly DevnetGenerativeName[],
    extra: readonly ExtraPackage[] = [],
): DevnetModel[] {
    const own = extra.map((e): DevnetModel => {
        const hashHex = readModelPackage(e.path).hash;
        return {
            name: e.name as DevnetGenerativeName,
            package: true,
            path: e.path,
            hashHex,
            hash: BigInt('0x' + hashHex),
            kind: e.kind,
            kindCode: modelKindCode(e.kind),
        };
    });
    const generated = names.map((name): DevnetModel => {
        if (!(name in GENERATED_PACKAGE_KINDS)) {
            throw new RangeError(
                `unknown generative model '${name}' (known: ${Object.keys(GENERATED_PACKAGE_KINDS).join(', ')})`,
            );
        }
        const path = generatedPackagePath(name);
        let hashHex: string;
        try {
            hashHex = readModelPackage(path).hash;
        } catch (err) {
            throw new Error(`${(err as Error).message} (run \`npm run models\` to generate the devnet models)`);
        }
        const kind = GENERATED_PACKAGE_KINDS[name];
        return {
            name,
            package: true,
            path,
            hashHex,
            hash: BigInt('0x' + hashHex),
            kind,
            kindCode: modelKindCode(kind),
        };
    });
    return [...generated, ...own];
}
