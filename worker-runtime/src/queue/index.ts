/**
 * The sealed model queues: what the proxy (producer) and worker (consumer) roles call. See docs/queue.md.
 */
export type { QueueConfig } from './config';
export { DEFAULT_QUEUE_CONFIG, loadQueueConfig, validateQueueConfig } from './config';
export {
    queueNameForModel,
    bullQueueName,
    modelHashFromQueueName,
    normalizeModelHash,
    validateRequestId,
} from './naming';
export type { JobRequest, SealedJobData, FailureDescription } from './envelope';
export { sealJob, openJob, sealResult, openResult, sealFailure, openFailure, sealingAad } from './envelope';
export { queueKeyId, RequestLedger } from './ledger';
export { SealedJobQueue } from './producer';
export type { SealedJobQueueOptions } from './producer';
export { ANSWERED_BY_STREAM, SealedWorker } from './worker';
export type { SealedWorkerOptions, SealedProcessor, ProcessContext, CloseOutcome } from './worker';
export type { AttestationCheck, QueueKeyGrant } from './keyDistribution';
export { createQueueKey, grantQueueKey, acceptQueueKey } from './keyDistribution';
export {
    createRedisClient,
    closeRedisClient,
    deleteKeysUnder,
    scanKeys,
    clusterTarget,
    isClusterTarget,
} from './connection';
