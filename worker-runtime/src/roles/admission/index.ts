/**
 * Worker admission, the proxy's side of a worker joining: `WorkerAdmission.create({...})`, then `admitPending()`
 * periodically, `demote(workerKey)` to drop one, `queueKey(model)` for the producer. See docs/worker.md.
 */
export { WorkerAdmission } from './admission';
export type { AdmissionOptions, AdmissionOutcome, AdmittedWorker } from './admission';
