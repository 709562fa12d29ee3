import { Cell, ContractABI } from '@ton/core';

/** A decoded event: the ABI type name and the fields the generated wrapper's `load<Name>` returns. */
export interface DecodedEvent {
    name: string;
    fields: Record<string, unknown>;
}

type Loader = (slice: ReturnType<Cell['beginParse']>) => unknown;

/**
 * Decodes a contract's events (external-out bodies) with the loaders of its Tact-generated wrapper, so opcodes and
 * layouts come from one place: the Tact sources.
 */
export class EventDecoder {
    private readonly loaders = new Map<number, { name: string; load: Loader }>();

    /**
     * @param abi the `abi` of any instance of the generated contract class
     * @param wrapperModule the generated wrapper module itself (it exports `load<TypeName>` for every type)
     * @param names restricts decoding to these type names (the contract's events); all headed types when omitted
     */
    constructor(abi: ContractABI, wrapperModule: Record<string, unknown>, names?: readonly string[]) {
        for (const type of abi.types ?? []) {
            if (type.header === null || type.header === undefined) continue;
            if (names && !names.includes(type.name)) continue;
            const load = wrapperModule[`load${type.name}`];
            if (typeof load !== 'function') throw new Error(`wrapper has no load${type.name}`);
            this.loaders.set(type.header, { name: type.name, load: load as Loader });
        }
    }

    /** The event in `body`, or null when its opcode is not one of this contract's types or the body is malformed. */
    decode(body: Cell): DecodedEvent | null {
        const slice = body.beginParse();
        if (slice.remainingBits < 32) return null;
        const entry = this.loaders.get(slice.preloadUint(32));
        if (!entry) return null;
        try {
            const fields = entry.load(slice) as Record<string, unknown>;
            return { name: entry.name, fields };
        } catch {
            return null;
        }
    }
}
