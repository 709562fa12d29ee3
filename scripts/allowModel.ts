import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** AllowModel (--model, --name, --kind). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const modelHash = await args.uint256('model', 'Model hash (SHA-256 of the ONNX file, hex)');
    const name = await args.string('name', 'Model name');
    const kind = await args.bigint('kind', 'Model kind (0-255)');
    await registry.send(
        provider.sender(),
        { value: ADMIN_VALUE },
        { $$type: 'AllowModel', queryId: 0n, modelHash, name, kind },
    );
    done(provider, 'AllowModel sent');
}
