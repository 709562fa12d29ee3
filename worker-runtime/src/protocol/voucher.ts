/**
 * Billing vouchers: THE one place that builds, signs, verifies and wraps the proxy's signed vouchers for the billing
 * contracts (contracts/billing). Layouts follow contracts/schema.tlb (billing section):
 *
 *   voucher#_ op:uint32 query_id:uint64 cumulative:uint64 target:MsgAddressInt valid_until:uint32 = Voucher;
 *   charge_signed#63680001 signature:bits512 voucher:^Voucher = InMsgBody;   (also refund #63680002, payout #63680003)
 *
 * The proxy signs (Ed25519) the representation hash of the voucher cell. `cumulative` counts *billing units*: tokens
 * weighted by the token-kind multipliers of the proxy's price snapshot (see {@link billingUnits}); the contracts
 * multiply by the price (ClientAccount) or the worker fee (Proxy).
 */
import { Address, beginCell, Cell } from '@ton/core';
import { ed25519Sign, ed25519Verify } from '../crypto/ed25519';

/** Voucher ops: the opcode of the outer message each voucher is meant for (domain separation). */
export const VoucherOp = {
    charge: 0x63680001,
    refund: 0x63680002,
    payout: 0x63680003,
} as const;
export type VoucherKind = keyof typeof VoucherOp;

/** Opcode of CommitState and the op inside its signed StateCommit cell. */
export const COMMIT_STATE_OP = 0x63680032;

const UINT64_MAX = (1n << 64n) - 1n;
const UINT32_MAX = 0xffffffff;

export interface Voucher {
    op: number;
    queryId: bigint;
    /** Running total of billing units for this account (never decreases). */
    cumulative: bigint;
    /** The one ClientAccount or WorkerAccount the voucher is valid for. */
    target: Address;
    /** Unix time (seconds) after which the contract refuses it. */
    validUntil: number;
}

export interface SignedVoucher {
    voucher: Cell;
    /** 64-byte Ed25519 signature over `voucher.hash()`. */
    signature: Buffer;
}

function checkUint(value: bigint, max: bigint, what: string): void {
    if (value < 0n || value > max) {
        throw new RangeError(`${what} must be an unsigned integer ≤ ${max}, got ${value}`);
    }
}

function checkVoucher(v: Voucher): void {
    if (!Number.isInteger(v.op) || v.op < 0 || v.op > UINT32_MAX) {
        throw new RangeError(`voucher op must be a uint32, got ${v.op}`);
    }
    if (!Number.isInteger(v.validUntil) || v.validUntil < 0 || v.validUntil > UINT32_MAX) {
        throw new RangeError(`validUntil must be a uint32 unix time, got ${v.validUntil}`);
    }
    checkUint(v.queryId, UINT64_MAX, 'queryId');
    checkUint(v.cumulative, UINT64_MAX, 'cumulative');
    if (!Address.isAddress(v.target)) {
        throw new TypeError('voucher target must be an Address');
    }
}

/** The cell the proxy signs. */
export function voucherCell(v: Voucher): Cell {
    checkVoucher(v);
    return beginCell()
        .storeUint(v.op, 32)
        .storeUint(v.queryId, 64)
        .storeUint(v.cumulative, 64)
        .storeAddress(v.target)
        .storeUint(v.validUntil, 32)
        .endCell();
}

/** Reads a voucher cell back (throws on a malformed one). */
export function parseVoucher(cell: Cell): Voucher {
    const s = cell.beginParse();
    const v: Voucher = {
        op: s.loadUint(32),
        queryId: s.loadUintBig(64),
        cumulative: s.loadUintBig(64),
        target: s.loadAddress(),
        validUntil: s.loadUint(32),
    };
    s.endParse();
    return v;
}

function checkSecretKey(secretKey: Buffer): void {
    if (secretKey.length !== 64) {
        throw new RangeError(`Ed25519 secret key must be 64 bytes (tweetnacl form), got ${secretKey.length}`);
    }
}

/** Builds and signs a voucher with the proxy's Ed25519 secret key (64-byte tweetnacl form, as keyPairFromSeed gives). */
export function signVoucher(v: Voucher, secretKey: Buffer): SignedVoucher {
    checkSecretKey(secretKey);
    const voucher = voucherCell(v);
    return { voucher, signature: ed25519Sign(voucher.hash(), secretKey) };
}

/** Convenience: a voucher of `kind` for `target`. */
export function signBillingVoucher(
    kind: VoucherKind,
    args: { target: Address; cumulative: bigint; validUntil: number; queryId?: bigint },
    secretKey: Buffer,
): SignedVoucher {
    return signVoucher(
        {
            op: VoucherOp[kind],
            queryId: args.queryId ?? 0n,
            cumulative: args.cumulative,
            target: args.target,
            validUntil: args.validUntil,
        },
        secretKey,
    );
}

/**
 * Checks a signed voucher the way the contracts do, off chain: signature by `publicKey`, and optionally the expected
 * op, target and time. Returns the parsed voucher, or null when any check fails.
 */
export function verifyVoucher(
    signed: SignedVoucher,
    publicKey: Buffer,
    expect: { op?: number; target?: Address; now?: number } = {},
): Voucher | null {
    if (publicKey.length !== 32 || signed.signature.length !== 64) {
        return null;
    }
    if (!ed25519Verify(signed.voucher.hash(), signed.signature, publicKey)) {
        return null;
    }
    let v: Voucher;
    try {
        v = parseVoucher(signed.voucher);
    } catch {
        return null;
    }
    if (expect.op !== undefined && v.op !== expect.op) return null;
    if (expect.target !== undefined && !v.target.equals(expect.target)) return null;
    if (expect.now !== undefined && expect.now > v.validUntil) return null;
    return v;
}

/** The outer message body (ChargeSigned / RefundSigned / PayoutSigned, chosen by the voucher's op). */
export function voucherMessageBody(signed: SignedVoucher): Cell {
    if (signed.signature.length !== 64) {
        throw new RangeError(`signature must be 64 bytes, got ${signed.signature.length}`);
    }
    const op = parseVoucher(signed.voucher).op;
    return beginCell().storeUint(op, 32).storeBuffer(signed.signature).storeRef(signed.voucher).endCell();
}

/** Token counts of one request (or running totals), per token kind. */
export interface TokenCounts {
    prompt: bigint;
    cached: bigint;
    completion: bigint;
    reasoning: bigint;
}

/** Token-kind multipliers in basis points (10000 = 1x), as in NetworkParams. */
export interface TokenMultipliersBps {
    prompt: bigint;
    cached: bigint;
    completion: bigint;
    reasoning: bigint;
}

/**
 * Billing units for token counts: Σ tokens × multiplier / 10000, rounded down once at the end. The proxy keeps
 * running token totals per account and signs `billingUnits(totals)` as the cumulative count, so rounding never
 * accumulates and the count never decreases.
 */
export function billingUnits(tokens: TokenCounts, multipliers: TokenMultipliersBps): bigint {
    const kinds: (keyof TokenCounts)[] = ['prompt', 'cached', 'completion', 'reasoning'];
    let weighted = 0n;
    for (const k of kinds) {
        if (tokens[k] < 0n || multipliers[k] < 0n) {
            throw new RangeError(`token counts and multipliers must not be negative (${k})`);
        }
        weighted += tokens[k] * multipliers[k];
    }
    return weighted / 10000n;
}

/** The proxy's signed state commitment (CommitState): `{op, proxy, seqno, digest}` signed over its hash. */
export function signStateCommit(
    args: { proxy: Address; seqno: bigint; digest: bigint },
    secretKey: Buffer,
): { commit: Cell; signature: Buffer; body: Cell } {
    checkSecretKey(secretKey);
    checkUint(args.seqno, UINT64_MAX, 'seqno');
    checkUint(args.digest, (1n << 256n) - 1n, 'digest');
    const commit = beginCell()
        .storeUint(COMMIT_STATE_OP, 32)
        .storeAddress(args.proxy)
        .storeUint(args.seqno, 64)
        .storeUint(args.digest, 256)
        .endCell();
    const signature = ed25519Sign(commit.hash(), secretKey);
    const body = beginCell().storeUint(COMMIT_STATE_OP, 32).storeBuffer(signature).storeRef(commit).endCell();
    return { commit, signature, body };
}
