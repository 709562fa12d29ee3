/**
 * Turning cumulative token totals into signed vouchers: charge vouchers for ClientAccounts (returned to the client)
 * and payout vouchers for WorkerAccounts (stored in Redis for the worker). Tokens are metered as prompt tokens, so a
 * voucher's cumulative billing units are `billingUnits(totals)` of the account's running totals per token kind
 * (prompt, cached, completion, reasoning; tensor models meter prompt tokens only) under the proxy's price snapshot:
 * the totals are cumulative, so the one rounding (down, of the weighted sum) never accumulates and the count never
 * decreases.
 */
import { Address, Cell } from '@ton/core';
import {
    billingUnits,
    SignedVoucher,
    TokenCounts,
    TokenMultipliersBps,
    VoucherKind,
    VoucherOp,
    voucherCell,
} from '../../protocol/voucher';
import { ed25519Signer } from '../../crypto/ed25519';
import { StoredPayoutVoucher } from '../../protocol/keys';
import { workerAccountFor } from '../../../../wrappers/WorkerAccount';
import { refuse } from './errors';

/** A signed voucher in JSON form, as the API returns it and `voucherFromJson` reads it back. */
export interface VoucherJson {
    /** Base64 BOC of the voucher cell. */
    voucher: string;
    /** Hex Ed25519 signature over the cell's hash. */
    signature: string;
    /** Billing units, decimal. */
    cumulative: string;
    /** The ClientAccount or WorkerAccount (friendly form). */
    target: string;
    validUntil: number;
}

export function voucherToJson(
    signed: SignedVoucher,
    cumulative: bigint,
    target: Address,
    validUntil: number,
): VoucherJson {
    return {
        voucher: signed.voucher.toBoc().toString('base64'),
        signature: signed.signature.toString('hex'),
        cumulative: cumulative.toString(),
        target: target.toString(),
        validUntil,
    };
}

export class VoucherSigner {
    private readonly workerAccounts = new Map<string, Address>();
    private readonly signer: (message: Buffer) => Buffer;
    /** The highest cumulative this process signed per target: a lower total can only come from rolled-back counters. */
    private readonly highest = new Map<string, bigint>();
    /** Called when a voucher would go below one signed before (the role stops serving). */
    onRegression: (reason: string) => void = () => undefined;

    constructor(
        private readonly proxyAddress: Address,
        private readonly proxyPublicKey: Buffer,
        proxySecretKey: Buffer,
        private readonly multipliers: TokenMultipliersBps,
        private readonly validitySeconds: number,
    ) {
        this.signer = ed25519Signer(proxySecretKey);
    }

    /** Billing units of cumulative totals: prompt-kind tokens alone (tensor models) or tokens of every kind. */
    units(tokens: bigint | TokenCounts): bigint {
        const counts =
            typeof tokens === 'bigint' ? { prompt: tokens, cached: 0n, completion: 0n, reasoning: 0n } : tokens;
        return billingUnits(counts, this.multipliers);
    }

    /** The multipliers of the proxy's price snapshot (basis points per token kind). */
    get multipliersBps(): TokenMultipliersBps {
        return this.multipliers;
    }

    charge(account: Address, totalTokens: bigint | TokenCounts, now: number): VoucherJson {
        const cumulative = this.units(totalTokens);
        const validUntil = now + this.validitySeconds;
        const signed = this.sign('charge', account, cumulative, validUntil);
        return voucherToJson(signed, cumulative, account, validUntil);
    }

    /** `validUntil` defaults to now + the configured validity (a close signs them valid through the claim window). */
    async payout(
        workerOwner: Address,
        totalTokens: bigint | TokenCounts,
        now: number,
        validUntil = now + this.validitySeconds,
    ): Promise<StoredPayoutVoucher & VoucherJson> {
        const target = await this.workerAccount(workerOwner);
        const cumulative = this.units(totalTokens);
        const signed = this.sign('payout', target, cumulative, validUntil);
        return voucherToJson(signed, cumulative, target, validUntil);
    }

    /** The voucher cell as the voucher helper lays it out, signed through node:crypto (see ed25519.ts). */
    private sign(kind: VoucherKind, target: Address, cumulative: bigint, validUntil: number): SignedVoucher {
        // Never sign a cumulative total below one signed before: the chain would ignore it (for a client) or the
        // worker would have lost units (a payout); either way the counters it comes from were rolled back.
        const id = target.toRawString();
        const highest = this.highest.get(id) ?? 0n;
        if (cumulative < highest) {
            const reason =
                `the ${kind} counter of ${target.toString()} is at ${cumulative} units but this proxy already signed ` +
                `${highest}: Redis was rolled back or wiped`;
            this.onRegression(reason);
            refuse('state_rolled_back', `refusing to serve: ${reason}`);
        }
        this.highest.set(id, cumulative);
        const voucher = voucherCell({ op: VoucherOp[kind], queryId: 0n, cumulative, target, validUntil });
        return { voucher, signature: this.signer(voucher.hash()) };
    }

    /** The WorkerAccount of a worker owner at this proxy (derived locally, as the Proxy contract derives it). */
    async workerAccount(owner: Address): Promise<Address> {
        const key = owner.toRawString();
        let address = this.workerAccounts.get(key);
        if (!address) {
            address = (await workerAccountFor(this.proxyAddress, owner, this.proxyPublicKey)).address;
            this.workerAccounts.set(key, address);
        }
        return address;
    }
}

/** Reads a voucher in JSON form back into what voucherMessageBody takes. */
export function voucherFromJson(json: Pick<VoucherJson, 'voucher' | 'signature'>): SignedVoucher {
    return { voucher: Cell.fromBase64(json.voucher), signature: Buffer.from(json.signature, 'hex') };
}
