/**
 * The inference module's errors. Most are permanent (the queue does not retry them): bad input stays bad, and a model
 * that is not allowed or not supported stays so until someone changes the registry or the model. Only a pool that is
 * closing or a thread that died is transient: the job can run again elsewhere.
 */
import { InvalidInputError, PermanentError, TransientError } from '../errors';

export { InvalidInputError };

/** The model's hash is not on the registry's allow-list. */
export class ModelNotAllowedError extends PermanentError {}

/** The model file is unreadable, not ONNX, or declares element types this runtime does not handle (e.g. string). */
export class UnsupportedModelError extends PermanentError {}

/** The pool is closed or closing, or the thread running the job died; another worker (or a fresh thread) can retry. */
export class InferenceUnavailableError extends TransientError {}
