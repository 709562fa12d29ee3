/** The client SDK: accounts, signed requests, receipt/attestation checks, voucher commits. See docs/client.md. */
export { ChrysalisClient, ReceiptError } from './client';
export type { ChrysalisClientOptions, ClientWalletHandle, InferResult } from './client';
export { postSigned, ProxyError, requestJson } from './http';
export { verifyInferenceReceipt, verifyProxyAttestation, verifyWorkerAttestation } from './verify';
export type { ReceiptLike, Check, PolicyOptions } from './verify';
export { registrySnapshot } from './registrySnapshot';
export { CLIENT_SCHEMA, readClientConfig } from './config';
export type { ClientConfig } from './config';
