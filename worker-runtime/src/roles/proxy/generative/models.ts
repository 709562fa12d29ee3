/**
 * What the proxy loads of a generative model folder: its tokenizer and chat template (never its weights), to count
 * prompt tokens itself and check that streamed ids decode to the text.
 */
import { loadTextProcessor } from '../../../inference/generative/textProcessor';
import { readModelPackage } from '../../../inference/generative/modelPackage';
import { ServedModel } from '../service';
import { GenerativeTask } from './metering';

export function generativeServedModel(dir: string, name: string, task: GenerativeTask): ServedModel {
    const pkg = readModelPackage(dir);
    const processor = loadTextProcessor(pkg);
    return {
        hash: pkg.hash,
        name,
        kind: task,
        inputs: [],
        outputs: [],
        generative: { task, contextLength: processor.contextLength, processor },
    };
}
