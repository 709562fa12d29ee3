/**
 * TON to attach to each billing operation (see FEES.md for the derivation from the measured gas). Values the contracts
 * check are the constants of contracts/billing/constants.tact; the rest are generous and the unused part comes back
 * (excesses) or stays as the sender's balance in its account.
 */
import { toNano } from '@ton/core';

export const CLIENT_FEES = {
    /** On top of stake + deposit for OpenClientAccount (= OPEN_FEE). */
    open: toNano('0.1'),
    /** Withdraw, IncreaseStake, RequestRefund: compute ≈ 0.0035 TON + a message; the rest returns. */
    ownerOperation: toNano('0.02'),
    /** ChargeSigned, submitted by the proxy (≥ CHARGE_FEE = 0.008, checked); the rest goes to the proxy. */
    charge: toNano('0.01'),
    /** ForceRefund / RefundSigned (= CLIENT_CLOSE_FEE); the rest goes to the client. */
    close: toNano('0.015'),
};

export const WORKER_FEES = {
    /**
     * PayoutSigned (≥ PAYOUT_FEE = 0.008, checked; the first claim, which deploys the WorkerAccount, ≥ PAYOUT_FEE +
     * WORKER_RESERVE = 0.033 and leaves WORKER_RESERVE there for storage); the rest returns with the payout.
     */
    payout: toNano('0.05'),
};

export const PROXY_FEES = {
    ownerOperation: toNano('0.02'),
};
