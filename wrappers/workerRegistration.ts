// The worker key's consent that RegisterWorker carries (RegisterWorker.expiry and .signature): the signed layout and
// the signing helpers live with the runtime's protocol code; scripts and tools import them from here.
export {
    DEFAULT_REGISTRATION_VALIDITY_S,
    signWorkerRegistration,
    verifyWorkerRegistration,
    WORKER_REGISTRATION_TAG,
    workerRegistrationHash,
} from '../worker-runtime/src/protocol/registration';
export type { WorkerRegistration } from '../worker-runtime/src/protocol/registration';
