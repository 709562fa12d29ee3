import { NetworkProvider } from '@ton/blueprint';
import { storeAllowModel } from '../wrappers/Registry';
import { describeModelKinds, modelKindCode, parseModelKind } from '../worker-runtime/src/inference/kinds';
import { ScriptArgsError } from './lib/args';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** AllowModel: --model <sha256 of the ONNX file>, --name, --kind <kind name> (stored as its code). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        model: { describe: 'Model hash (SHA-256 of the ONNX file, hex)' },
        name: { describe: 'Model name' },
        kind: { describe: `Model kind: ${describeModelKinds()}` },
    };
    await governanceMessage(provider, argv, spec, 'AllowModel', async (args) => {
        const modelHash = await args.uint256('model');
        const name = await args.string('name');
        let kind;
        try {
            kind = parseModelKind(await args.string('kind'));
        } catch (err) {
            throw new ScriptArgsError(`--kind: ${(err as Error).message}`);
        }
        return messageBody(storeAllowModel, {
            $$type: 'AllowModel',
            queryId: 0n,
            modelHash,
            name,
            kind: modelKindCode(kind),
        });
    });
}
