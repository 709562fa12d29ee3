/**
 * What the proxy loads of a generative model folder: its tokenizer and chat template (never its weights), to count
 * prompt tokens itself and check that streamed ids decode to the text.
 */
import { loadTextProcessor } from '../../../inference/generative/textProcessor';
import { ServedModel } from '../service';
import { GenerativeTask } from './metering';

export function generativeServedModel(dir: string, name: string, task: GenerativeTask): ServedModel {
    // Only the text files are kept; the weights are hashed in chunks for the package hash and dropped.
    const processor = loadTextProcessor(dir);
    return {
        hash: processor.hash,
        name,
        kind: task,
        inputs: [],
        outputs: [],
        generative: { task, contextLength: processor.contextLength, processor },
    };
}
