/**
 * The worker role. `WorkerRole.start({config: readWorkerConfig(), chain, wallet})` attests, checks or registers the
 * stake, announces, waits for the proxy's grant and consumes; `stop()` is graceful. See docs/worker.md.
 */
export { WorkerRole } from './worker';
export type { WorkerRoleDeps, WorkerState } from './worker';
export { readWorkerConfig, workerConfigSchema } from './config';
export type { WorkerConfig } from './config';
export { WorkerStartError } from './errors';
export type { WorkerStartFailure } from './errors';
export { createJobProcessor, requestIdToUint256, receiptFromHex, receiptToHex } from './jobProcessor';
export type { WorkerJobResult, ReceiptHex } from './jobProcessor';
export { claimPayoutIfDue } from './payout';
export type { PayoutClaimOutcome } from './payout';
export { readStake, stakeProblem, registerStake } from './stake';
