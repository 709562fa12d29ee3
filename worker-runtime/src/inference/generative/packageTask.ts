/** What a model folder serves as, from its files and config.json (the CLI's inspect, and serving by kind). */
import { ModelPackage, packageJson } from './modelPackage';

export type PackageTask = 'chat' | 'text-embedding' | 'speech-to-text';

/** Whisper layout → speech-to-text; a causal LM (or a generation config) → chat; otherwise an embedder. */
export function packageTask(pkg: ModelPackage): PackageTask {
    const paths = new Set(pkg.files.map((f) => f.path));
    const config = packageJson(pkg, 'config.json', true) ?? {};
    if (config.model_type === 'whisper' || paths.has('onnx/encoder_model.onnx')) return 'speech-to-text';
    const architectures = Array.isArray(config.architectures) ? (config.architectures as unknown[]) : [];
    if (
        architectures.some((a) => typeof a === 'string' && a.endsWith('ForCausalLM')) ||
        paths.has('generation_config.json')
    ) {
        return 'chat';
    }
    return 'text-embedding';
}
