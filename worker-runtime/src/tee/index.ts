/**
 * Public API of the attestation module, for the worker, proxy and client roles.
 *
 * Producing: `createProvider({kind: 'tdx'} | {kind: 'simulated'})`, then `attest(provider, publicKey, nonce?)` →
 * `AttestationDocument` ({kind, quote: base64}) to send to peers (`encodeDocument` / `decodeDocument`).
 * Checking: `verifyAttestation({document, publicKey, nonce?, at?}, policy)` → `AttestationVerdict`.
 */
export { AttestationError } from './errors';
export type { AttestationErrorCode } from './errors';
export { parseQuote, isDebugTd, TEE_TYPE_TDX, TEE_TYPE_SGX } from './quote';
export type { TdxQuote, TdReport, QeReport, QuoteHeader } from './quote';
export {
    INTEL_SGX_ROOT_CA,
    INTEL_SGX_ROOT_CA_PEM,
    readPckExtensions,
    decodeCertificates,
    verifyChain,
} from './certificates';
export type { PckExtensions, ChainOptions } from './certificates';
export { verifyCollateral, evaluateTcb, combineStatuses } from './collateral';
export type { Collateral, TcbStatus, TcbEvaluation, TcbInfo, QeIdentity } from './collateral';
export { createPccsSource, PccsCollateralSource, INTEL_ROOT_CA_CRL_URL, pckIssuingCa, pccsPolicy } from './pccs';
export type { PccsOptions, PckCrlCa } from './pccs';
export { PccsError, PCS_API_KEY_HEADER } from './pccsHttp';
export { verifyQuote, INTEL_QE_VENDOR_ID } from './verifier';
export type { VerifyQuoteOptions, VerifiedQuote } from './verifier';
export { bindingReportData, imageHash, imageHashBigInt, raTlsNonce, RA_TLS_DOMAIN } from './binding';
export type { Measurements } from './binding';
export { TdxProvider, DEFAULT_CONFIGFS_TSM_REPORT } from './tdxProvider';
export type { TdxProviderOptions } from './tdxProvider';
export { SIMULATED_MEASUREMENTS, SIMULATED_MAGIC, isSimulatedQuote, verifySimulatedQuote } from './simulated';
export { SimulatedProvider, createProvider, attest, encodeDocument, decodeDocument } from './provider';
export type {
    AttestationDocument,
    AttestationKind,
    QuoteProvider,
    ProviderConfig,
    SimulatedProviderOptions,
} from './provider';
export { VerdictCache } from './cache';
export { verifyAttestation } from './policy';
export type {
    RegistryView,
    Role,
    AttestationPolicy,
    AttestationInput,
    AttestationVerdict,
    VerifiedFacts,
    TcbVerdictStatus,
    Logger,
} from './policy';
