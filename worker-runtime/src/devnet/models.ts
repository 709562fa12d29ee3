/**
 * The models the devnet lists in its registry: the generated ones (`npm run models`) and the real Silero VAD model.
 * Each is identified on chain by the SHA-256 of its file and carries its metering kind as a uint8.
 */
import { GeneratedModelName, KNOWN_MODEL_KINDS, generatedModelPath, sileroVadModelPath } from '../inference/catalog';
import { ModelKind } from '../inference/metering';
import { modelKindCode } from '../inference/kinds';
import { readModelFile } from '../inference/modelFile';

export type DevnetModelName = GeneratedModelName | 'silero-vad';

export const DEVNET_MODEL_NAMES: readonly DevnetModelName[] = ['tiny-mlp', 'embedding', 'dtype-mix', 'silero-vad'];

export interface DevnetModel {
    name: DevnetModelName;
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
