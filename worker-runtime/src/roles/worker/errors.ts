import { ChrysalisError } from '../../errors';

export type WorkerStartFailure = 'config' | 'model' | 'attestation' | 'stake' | 'grant';

/** The worker refuses to start consuming; `code` says which step failed, the message says why and what to do. */
export class WorkerStartError extends ChrysalisError {
    constructor(
        readonly code: WorkerStartFailure,
        message: string,
        options?: { cause?: unknown },
    ) {
        super(message, options);
    }
}
