/**
 * Worker admission, the proxy's side of a worker joining: `WorkerAdmission.create({...})`, then `admitPending()`
 * periodically (the proxy role runs an `AdmissionLoop` for it), `demote(workerKey)` to drop one, `queueKey(model)` for
 * the producer. See docs/worker.md.
 */
export { WorkerAdmission } from './admission';
export type { AdmissionOptions, AdmissionOutcome, AdmittedWorker } from './admission';
export { AdmissionLoop } from './loop';
export type { AdmissionDriver, AdmissionLoopOptions } from './loop';
