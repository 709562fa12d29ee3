/**
 * Model kinds as the registry stores them: `ModelInfo.kind` is a uint8 code, 1 + the kind's index in MODEL_KINDS
 * (0 is left unused so that a missing kind is never a valid one). The devnet, the blueprint scripts and the CLI all
 * translate through here; a kind appended to MODEL_KINDS gets the next code and is accepted by name everywhere.
 */
import { MODEL_KINDS, ModelKind, isModelKind } from './metering';

/** Registry kind code of a metering kind. */
export function modelKindCode(kind: ModelKind): bigint {
    const index = MODEL_KINDS.indexOf(kind);
    if (index < 0) throw new RangeError(`unknown model kind '${String(kind)}' (known: ${describeModelKinds()})`);
    return BigInt(index + 1);
}

/** The metering kind of a registry kind code; throws on a code no kind has. */
export function modelKindFromCode(code: bigint | number): ModelKind {
    const n = Number(code);
    const kind = Number.isInteger(n) && n >= 1 ? MODEL_KINDS[n - 1] : undefined;
    if (kind === undefined) throw new RangeError(`unknown model kind code ${code} (known: ${describeModelKinds()})`);
    return kind;
}

/** A kind given by name (as operators write it); the error lists every name with its code. */
export function parseModelKind(text: string): ModelKind {
    const name = text.trim().toLowerCase();
    if (!isModelKind(name)) throw new RangeError(`unknown model kind '${text}' (known: ${describeModelKinds()})`);
    return name;
}

/** "classifier (1), text-embedding (2), …": every kind with its registry code. */
export function describeModelKinds(): string {
    return MODEL_KINDS.map((k, i) => `${k} (${i + 1})`).join(', ');
}
