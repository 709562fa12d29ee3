/**
 * The toncenter v2 JSON shapes of chain objects: addresses, transaction ids, block ids, transactions and messages,
 * and get-method stacks in both directions. These are what `@ton/ton`'s HttpApi codecs accept (and what toncenter
 * itself sends, as far as a client can tell).
 */
import { createHash } from 'node:crypto';
import { Address, beginCell, Cell, Message, storeStateInit, Transaction, TupleItem } from '@ton/core';
import { ChrysalisError } from '../../errors';

/** A request's parameter is missing or malformed (toncenter answers such requests with HTTP 422). */
export class TonApiParamError extends ChrysalisError {}

const MASTERCHAIN_SHARD = '-9223372036854775808';

/** An address as toncenter writes it: user-friendly, bounceable, URL-safe. */
export function friendly(address: Address): string {
    return address.toString({ urlSafe: true, bounceable: true });
}

export function transactionId(lt: bigint, hash: Buffer) {
    return { '@type': 'internal.transactionId', lt: lt.toString(), hash: hash.toString('base64') };
}

/**
 * A masterchain block id. The sandbox has no blocks; the devnet numbers its "blocks" by the transactions run so far,
 * so a later state has a higher seqno, and derives the hashes from the number.
 */
export function blockId(seqno: number) {
    const hash = (what: string) => createHash('sha256').update(`devnet:${what}:${seqno}`).digest('base64');
    return {
        '@type': 'ton.blockIdExt',
        workchain: -1,
        shard: MASTERCHAIN_SHARD,
        seqno,
        root_hash: hash('root'),
        file_hash: hash('file'),
    };
}

function boc(cell: Cell | null | undefined): string {
    return cell ? cell.toBoc().toString('base64') : '';
}

/** A comment's text, when `body` is one (op 0 and UTF-8), else null. */
function commentText(body: Cell): string | null {
    const slice = body.beginParse();
    if (slice.remainingBits < 32 || slice.loadUint(32) !== 0) return null;
    try {
        const text = slice.loadStringTail();
        return Buffer.from(text, 'utf8').toString('utf8') === text ? text : null;
    } catch {
        return null;
    }
}

export function messageJson(message: Message) {
    const info = message.info;
    const body = message.body;
    const text = info.type === 'internal' ? commentText(body) : null;
    const init = message.init ? boc(beginCell().store(storeStateInit(message.init)).endCell()) : '';
    return {
        '@type': 'raw.message',
        hash: beginCell().storeRef(body).endCell().hash().toString('base64'),
        source: info.type === 'external-in' ? '' : friendly(info.src),
        destination: info.type === 'external-out' ? '' : friendly(info.dest),
        value: info.type === 'internal' ? info.value.coins.toString() : '0',
        extra_currencies: [],
        fwd_fee: info.type === 'internal' ? info.forwardFee.toString() : '0',
        ihr_fee: info.type === 'internal' ? info.ihrFee.toString() : '0',
        created_lt: info.type === 'external-in' ? '0' : info.createdLt.toString(),
        body_hash: body.hash().toString('base64'),
        msg_data:
            text !== null
                ? { '@type': 'msg.dataText', text: Buffer.from(text, 'utf8').toString('base64') }
                : { '@type': 'msg.dataRaw', body: boc(body), init_state: init },
        message: text ?? '',
    };
}

export function transactionJson(tx: Transaction, account: Address) {
    const storageFee =
        tx.description.type === 'generic' || tx.description.type === 'tick-tock'
            ? (tx.description.storagePhase?.storageFeesCollected ?? 0n)
            : 0n;
    const fee = tx.totalFees.coins;
    return {
        '@type': 'raw.transaction',
        address: { '@type': 'accountAddress', account_address: friendly(account) },
        utime: tx.now,
        data: tx.raw.toBoc().toString('base64'),
        transaction_id: transactionId(tx.lt, tx.hash()),
        fee: fee.toString(),
        storage_fee: storageFee.toString(),
        other_fee: (fee - storageFee).toString(),
        ...(tx.inMessage ? { in_msg: messageJson(tx.inMessage) } : {}),
        out_msgs: [...tx.outMessages.values()].map(messageJson),
    };
}

/** A get method's argument stack as toncenter takes it: `[["num", "0x1f"], ["tvm.Cell", "<boc>"], ...]`. */
export function stackFromJson(raw: unknown): TupleItem[] {
    if (raw === undefined || raw === null || raw === '') return [];
    const items = typeof raw === 'string' ? parseJson(raw, 'stack') : raw;
    if (!Array.isArray(items)) throw new TonApiParamError('stack must be a list of [type, value] pairs');
    return items.map((entry, i) => {
        if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
            throw new TonApiParamError(`stack[${i}] must be a [type, value] pair`);
        }
        const [type, value] = entry as [string, unknown];
        switch (type) {
            case 'num':
            case 'number':
            case 'int': {
                const text = String(value);
                if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) {
                    throw new TonApiParamError(`stack[${i}]: "${text}" is not a number`);
                }
                return { type: 'int', value: text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text) };
            }
            case 'cell':
            case 'tvm.Cell':
                return { type: 'cell', cell: cellParam(value, `stack[${i}]`) };
            case 'slice':
            case 'tvm.Slice':
                return { type: 'slice', cell: cellParam(value, `stack[${i}]`) };
            case 'builder':
            case 'tvm.Builder':
                return { type: 'builder', cell: cellParam(value, `stack[${i}]`) };
            default:
                throw new TonApiParamError(`stack[${i}]: unsupported stack entry type "${type}"`);
        }
    });
}

/** A get method's result stack as toncenter writes it (tonlib's rendering, as pytonlib's `render_tvm_stack`). */
export function stackToJson(items: TupleItem[]): unknown[] {
    return items.map((item) => {
        switch (item.type) {
            case 'int':
                return ['num', hexNumber(item.value)];
            case 'cell':
            case 'slice':
            case 'builder':
                // tonlib renders slices (and builders) as cells too.
                return ['cell', { bytes: boc(item.cell), object: cellObject(item.cell) }];
            case 'null':
                // tonlib has no null: a null is the empty list.
                return ['list', { '@type': 'tvm.list', elements: [] }];
            case 'tuple':
                return isList(item)
                    ? ['list', { '@type': 'tvm.list', elements: listElements(item).map(stackEntry) }]
                    : ['tuple', { '@type': 'tvm.tuple', elements: item.items.map(stackEntry) }];
            case 'nan':
                return ['num', 'NaN'];
        }
    });
}

/** One element inside a tuple or list, in tonlib's typed form. */
function stackEntry(item: TupleItem): unknown {
    switch (item.type) {
        case 'int':
            return {
                '@type': 'tvm.stackEntryNumber',
                number: { '@type': 'tvm.numberDecimal', number: item.value.toString() },
            };
        case 'cell':
        case 'builder':
            return { '@type': 'tvm.stackEntryCell', cell: { '@type': 'tvm.cell', bytes: boc(item.cell) } };
        case 'slice':
            return { '@type': 'tvm.stackEntrySlice', slice: { '@type': 'tvm.slice', bytes: boc(item.cell) } };
        case 'null':
            return { '@type': 'tvm.stackEntryList', list: { '@type': 'tvm.list', elements: [] } };
        case 'tuple':
            return isList(item)
                ? {
                      '@type': 'tvm.stackEntryList',
                      list: { '@type': 'tvm.list', elements: listElements(item).map(stackEntry) },
                  }
                : {
                      '@type': 'tvm.stackEntryTuple',
                      tuple: { '@type': 'tvm.tuple', elements: item.items.map(stackEntry) },
                  };
        case 'nan':
            return { '@type': 'tvm.stackEntryUnsupported' };
    }
}

/** tonlib's rule: a pair whose second element is null or again such a pair is a list. */
function isList(item: TupleItem): boolean {
    let cur: TupleItem = item;
    while (cur.type === 'tuple') {
        if (cur.items.length !== 2) return false;
        cur = cur.items[1];
    }
    return cur.type === 'null';
}

function listElements(item: TupleItem): TupleItem[] {
    const out: TupleItem[] = [];
    let cur = item;
    while (cur.type === 'tuple') {
        out.push(cur.items[0]);
        cur = cur.items[1];
    }
    return out;
}

function hexNumber(value: bigint): string {
    return value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

/** tonlib's description of a cell (toncenter sends it next to the BOC; clients read the BOC). */
function cellObject(cell: Cell): unknown {
    const bits = cell.bits;
    return {
        data: { b64: bits.subbuffer(0, bits.length - (bits.length % 8))?.toString('base64') ?? '', len: bits.length },
        refs: cell.refs.map(cellObject),
        special: cell.isExotic,
    };
}

export function cellParam(value: unknown, what: string): Cell {
    if (typeof value !== 'string' || value === '') throw new TonApiParamError(`${what} must be a base64 BOC`);
    try {
        return Cell.fromBoc(Buffer.from(value, 'base64'))[0];
    } catch (err) {
        throw new TonApiParamError(`${what} is not a valid BOC: ${(err as Error).message}`);
    }
}

export function parseJson(text: string, what: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        throw new TonApiParamError(`${what} is not valid JSON`);
    }
}
