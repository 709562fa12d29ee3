/**
 * The client SDK: an app backend's handle on one ClientAccount at one proxy.
 *
 *   const client = await ChrysalisClient.connect({ proxyUrl, chain, proxyAddress, wallet });
 *   await client.openAccount(toNano('1'), toNano('10'));     // stake, deposit (once)
 *   // every connection to an https:// proxy is RA-TLS: attestation and registry checked, key pinned, before a byte
 *   // of a request is sent (ratls/); plain http:// only with `allowPlainHttp` on a test network
 *   const { outputs, receipt } = await client.infer(modelHash, inputs);   // signed, receipt and voucher checked
 *   // the latest charge voucher is committed on chain automatically once half the stake's worth is unsettled
 */
import { randomBytes } from 'node:crypto';
import { Address, beginCell, Sender } from '@ton/core';
import { KeyPair } from '@ton/crypto';
import { Chain } from '../chain';
import { InferenceRequest, SignedRequest, signRequest } from '../protocol/request';
import { JsonTensorMap, toWireMap, wireMapToJson, WireTensorMap } from '../inference';
import { parseVoucher, VoucherOp, voucherMessageBody } from '../protocol/voucher';
import { ed25519Signer, ed25519Verify } from '../crypto/ed25519';
import { RegistryView } from '../tee';
import { ClientAccount, ClientAccountData, openingAt } from '../../../wrappers/ClientAccount';
import { CLIENT_FEES } from '../../../wrappers/billingFees';
import { Proxy } from '../../../wrappers/Proxy';
import { NetworkParams, Registry, storeNetworkParams } from '../../../wrappers/Registry';
import { TokenCounts } from '../protocol/voucher';
import { VoucherAudit } from './voucherAudit';
import { billedCounts } from '../roles/proxy/generative/metering';
import type { InferResponse } from '../roles/proxy/service';
import { voucherFromJson, VoucherJson } from '../roles/proxy/vouchers';
import type { GenerateResponse } from '../roles/proxy/generative/service';
import { postSigned, ProxyError, readJson, requestJson } from './http';
import { proxyTransport, ProxyTransport } from './transport';
import { RaTlsVerifier } from '../ratls/peer';
import { signReceiptQuery } from '../protocol/request';
import { Check, PolicyOptions, verifyInferenceReceipt, verifyProxyAttestation } from './verify';
import {
    EmbedResponse,
    GenerationEvent,
    ProxyModel,
    readGenerationStream,
    TranscribeResponse,
} from './generativeCalls';
import { verifyEmbedAnswer, verifyGenerationAnswer, verifyTranscribeAnswer } from './generative';
import { chainStakes, WorkerTrust } from './workerTrust';
import { registrySnapshot } from './registrySnapshot';
import { latestOpening } from './opening';
import type { SignedAnnouncement } from '../protocol/announcement';

export interface ClientWalletHandle {
    /** The wallet contract's address: the ClientAccount's owner. */
    address: Address;
    /** Sends from the wallet (e.g. `WalletContractV4.sender(provider, secretKey)`). */
    sender: Sender;
    /** The wallet's key pair: it signs requests, and the proxy reads its public key from the wallet. */
    keyPair: KeyPair;
}

export interface ChrysalisClientOptions {
    proxyUrl: string;
    chain: Chain;
    /** The Proxy contract the account is opened at. */
    proxyAddress: Address;
    wallet: ClientWalletHandle;
    /** Commit the latest charge voucher when its unsettled value reaches this fraction of the stake (default 0.5). */
    commitFraction?: number;
    /** Seconds a signed request stays valid (default 300). */
    requestValiditySeconds?: number;
    /**
     * The registry view (test-network flag, image allow-lists) receipts' worker attestations are checked against;
     * default a snapshot of the Proxy contract's registry, read from chain at the first receipt.
     */
    workerRegistry?: RegistryView;
    attestationPolicy?: PolicyOptions;
    /** HTTP timeout per request, ms (default 60000). */
    timeoutMs?: number;
    /**
     * The opening of the ClientAccount to use (OpenClientAccount.opening; each opening is an account of its own).
     * Default: the latest one this wallet sent to the proxy, found in the wallet's transactions; `openAccount` opens
     * a new one and switches to it.
     */
    opening?: bigint;
    /**
     * Accept a plain `http://` proxy URL (no RA-TLS): only takes effect when the registry marks its network as a test
     * network; otherwise every request to such a URL is refused. Default false.
     */
    allowPlainHttp?: boolean;
    /** Where refused vouchers are reported (default console). */
    logger?: { warn(message: string): void };
}

/** A response's usage as the proxy bills it: cached tokens out of the prompt's, reasoning out of the completion's. */
function usageCounts(u: {
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    reasoningTokens: number;
}): TokenCounts {
    return billedCounts(u);
}

/** An answer as the SDK returns it: the outputs decoded to numbers (NaN stays NaN), and as the proxy sent them. */
export interface InferResult extends Omit<InferResponse, 'outputs'> {
    outputs: JsonTensorMap;
    /** The outputs in the wire form the receipt hashes (base64 of the elements' bytes). */
    encodedOutputs: WireTensorMap;
}

export class ReceiptError extends Error {
    name = 'ReceiptError';
}

/** The Proxy contract's params snapshot is not the registry's (e.g. a lower minimum proxy stake): not a proxy to pay. */
export class ProxyParamsError extends Error {
    name = 'ProxyParamsError';
}

/** Whether the registry lists a proxy with this Ed25519 key at this Proxy contract. */
async function proxyRegistered(chain: Chain, registry: Address, proxy: Address, key: Buffer): Promise<boolean> {
    const listed = await chain.open(Registry.fromAddress(registry)).getProxies();
    const wanted = BigInt('0x' + key.toString('hex'));
    return listed.values().some((p) => p.publicKey === wanted && p.proxyAddress.equals(proxy));
}

const paramsHash = (p: NetworkParams) => beginCell().store(storeNetworkParams(p)).endCell().hash().toString('hex');

export class ChrysalisClient {
    /**
     * The ClientAccount in use: derived by the Proxy contract from the wallet address and the account's opening
     * (set anew by `openAccount`).
     */
    account: Address;
    /** The proxy's Ed25519 key, read from the Proxy contract: every voucher must be signed by it. */
    readonly proxyPublicKey: Buffer;
    /** The latest (highest) charge voucher received. */
    latestVoucher: VoucherJson | null = null;
    /**
     * Called with each voucher as it becomes the latest committable one (`chrysalis client serve --voucher-file`
     * keeps it on disk, so a gateway killed before its next commit resumes from it and nothing it used is lost).
     */
    onVoucherKept: ((voucher: VoucherJson) => void) | null = null;
    /** Called with the number of this client's requests in flight as each starts and ends (the same file keeps it). */
    onInFlight: ((requests: number) => void) | null = null;
    private requestsInFlight = 0;
    private trust: Promise<WorkerTrust> | null = null;
    /** Checks each voucher's increase against the response's usage priced by the registry's multipliers. */
    private audit: VoucherAudit;
    private committing: Promise<unknown> | null = null;
    private readonly multipliers: ConstructorParameters<typeof VoucherAudit>[0];
    /** Stake, price and charged units as last read from chain (re-read after each commit). */
    private accountCache: { stake: bigint; price: bigint; charged: bigint } | null = null;
    /** The one channel to the proxy (see transport.ts). */
    private transport: ProxyTransport;
    /** Checks the proxy's RA-TLS certificates and holds the pinned TLS key, across URLs and reconnections. */
    readonly tls: RaTlsVerifier;
    private readonly plainHttp: boolean;
    /** Signs request digests with the wallet key (node:crypto; identical to tweetnacl's signatures, 60x faster). */
    private readonly signer: (message: Buffer) => Buffer;

    private constructor(
        private readonly o: ChrysalisClientOptions,
        account: Address,
        proxyPublicKey: Buffer,
        /** The registry of the Proxy contract's network: every receipt must be bound to it. */
        readonly registry: Address,
        params: NetworkParams,
    ) {
        this.multipliers = {
            prompt: params.promptMultiplierBps,
            cached: params.cachedMultiplierBps,
            completion: params.completionMultiplierBps,
            reasoning: params.reasoningMultiplierBps,
        };
        this.audit = new VoucherAudit(this.multipliers);
        this.account = account;
        this.proxyPublicKey = proxyPublicKey;
        this.signer = ed25519Signer(o.wallet.keyPair.secretKey);
        this.plainHttp = o.allowPlainHttp === true && params.isTestNetwork;
        this.tls = new RaTlsVerifier({
            proxyKey: proxyPublicKey,
            registry: async () => ({
                view: await registrySnapshot(o.chain, registry),
                registered: await proxyRegistered(o.chain, registry, o.proxyAddress, proxyPublicKey),
            }),
            policy: o.attestationPolicy,
        });
        this.transport = proxyTransport(o.proxyUrl, { verifier: this.tls, plainHttp: this.plainHttp });
    }

    /** The channel every request of this client takes (RA-TLS, or plain HTTP where allowed). */
    get proxy(): ProxyTransport {
        return this.transport;
    }

    get proxyUrl(): string {
        return this.o.proxyUrl;
    }

    static async connect(options: ChrysalisClientOptions): Promise<ChrysalisClient> {
        const proxy = options.chain.open(Proxy.fromAddress(options.proxyAddress));
        const opening =
            options.opening ??
            (await latestOpening(options.chain, options.wallet.address, options.proxyAddress)) ??
            openingAt(await options.chain.now());
        const [account, data, config, snapshot] = await Promise.all([
            proxy.getClientAccountAddress(options.wallet.address, opening),
            proxy.getProxyData(),
            proxy.getProxyConfig(),
            proxy.getNetworkParams(),
        ]);
        // Prices, stakes and delays are the registry's, not what the proxy was deployed with: refuse a proxy whose
        // snapshot differs before any account is opened or request sent.
        const params = await options.chain.open(Registry.fromAddress(config.registry)).getParams();
        if (paramsHash(params) !== paramsHash(snapshot)) {
            throw new ProxyParamsError(
                `the Proxy contract's params snapshot differs from its registry's (e.g. minProxyStake ` +
                    `${snapshot.minProxyStake} vs ${params.minProxyStake}): refusing this proxy`,
            );
        }
        const key = Buffer.from(data.publicKey.toString(16).padStart(64, '0'), 'hex');
        return new ChrysalisClient(options, account, key, config.registry, params);
    }

    /** Points the SDK at another URL of the same proxy (e.g. after a restart on another port). */
    setProxyUrl(proxyUrl: string): void {
        this.o.proxyUrl = proxyUrl;
        // Same proxy, same pin: the key verified at the old URL is the only one accepted at the new one.
        this.transport = proxyTransport(proxyUrl, { verifier: this.tls, plainHttp: this.plainHttp });
    }

    /**
     * Opens a ClientAccount with `stake` locked and `deposit` as balance (sends OpenClientAccount to the Proxy) and
     * switches to it: a new opening is a new account, at an address of its own.
     */
    async openAccount(stake: bigint, deposit: bigint): Promise<ClientAccountData> {
        const proxy = this.o.chain.open(Proxy.fromAddress(this.o.proxyAddress));
        const opening = openingAt(await this.o.chain.now());
        await proxy.send(
            this.o.wallet.sender,
            { value: stake + deposit + CLIENT_FEES.open },
            {
                $$type: 'OpenClientAccount',
                queryId: 0n,
                stake,
                opening,
            },
        );
        // A new account: nothing charged yet, no voucher of the old one applies to it.
        this.account = await proxy.getClientAccountAddress(this.o.wallet.address, opening);
        this.accountCache = null;
        this.latestVoucher = null;
        this.audit = new VoucherAudit(this.multipliers);
        return this.accountData();
    }

    async topUp(amount: bigint): Promise<ClientAccountData> {
        await this.accountContract().send(this.o.wallet.sender, { value: amount }, { $$type: 'TopUp', queryId: 0n });
        return this.accountData();
    }

    /** Withdraws `amount` of the balance (never the stake) back to the wallet. */
    async withdraw(amount: bigint): Promise<ClientAccountData> {
        await this.accountContract().send(
            this.o.wallet.sender,
            { value: CLIENT_FEES.ownerOperation },
            { $$type: 'Withdraw', queryId: 0n, amount },
        );
        return this.accountData();
    }

    async accountData(): Promise<ClientAccountData> {
        return this.accountContract().getAccountData();
    }

    async models(): Promise<{ hash: string; name: string; kind: string; inputs: unknown[]; outputs: unknown[] }[]> {
        return (await requestJson<{ models: never[] }>(this.transport, 'GET', '/v1/models')).models;
    }

    /** What the proxy serves, with each model's task, context length and prices (`GET /v1/models`). */
    async catalog(): Promise<ProxyModel[]> {
        return (await requestJson<{ models: ProxyModel[] }>(this.transport, 'GET', '/v1/models')).models;
    }

    /** A chat or completion as one JSON answer; the receipt and the voucher are checked before it is returned. */
    async generate(model: string, inputs: Record<string, unknown>, signal?: AbortSignal): Promise<GenerateResponse> {
        return this.withCommitRetry(async (minValidUntil) => {
            const sent = this.signGenerative(model, { ...inputs, stream: false }, minValidUntil);
            const res = await readJson<GenerateResponse>(await this.post('/v1/generate', sent, signal));
            this.check(verifyGenerationAnswer(sent, res, this.registry));
            await this.trustWorker(res.receipt.workerKey, model);
            await this.settle(res.voucher, usageCounts(res.usage));
            return res;
        });
    }

    /**
     * A streamed chat or completion: yields each delta as it arrives, then `done` with the answer once its receipt
     * (over every token received) and voucher are checked. A broken stream throws a {@link ProxyError} after its
     * billing voucher is taken.
     */
    async *generateStream(
        model: string,
        inputs: Record<string, unknown>,
        signal?: AbortSignal,
    ): AsyncGenerator<GenerationEvent> {
        this.startRequest();
        let finished = false;
        try {
            for await (const event of this.streamEvents(model, inputs, signal)) {
                if (event.type === 'done') finished = true;
                yield event;
            }
        } finally {
            // A stream left before its answer was billed for tokens this client never saw.
            if (!finished) this.audit.abandoned();
            this.endRequest();
        }
    }

    private async *streamEvents(
        model: string,
        inputs: Record<string, unknown>,
        signal?: AbortSignal,
    ): AsyncGenerator<GenerationEvent> {
        const res = await this.withCommitRetry(async (minValidUntil) => {
            const sent = this.signGenerative(model, { ...inputs, stream: true }, minValidUntil);
            const r = await this.post('/v1/generate', sent, signal);
            if (!r.ok) await readJson(r);
            return { sent, r };
        });
        for await (const event of readGenerationStream(res.sent.requestId, res.r.body!)) {
            if (event.type === 'done') {
                this.check(verifyGenerationAnswer(res.sent, event.response, this.registry));
                await this.trustWorker(event.response.receipt.workerKey, model);
                await this.settle(event.response.voucher, usageCounts(event.response.usage));
            } else if (event.type === 'error') {
                if (event.error.billing) {
                    await this.settle(event.error.billing.voucher, usageCounts(event.error.billing.usage));
                }
                throw new ProxyError(502, event.error.error, event.error.message);
            }
            yield event;
        }
    }

    /** Embeddings of a batch of strings (`POST /v1/embed`). */
    async embed(model: string, input: string[], signal?: AbortSignal): Promise<EmbedResponse> {
        return this.withCommitRetry(async (minValidUntil) => {
            const sent = this.signGenerative(model, { input }, minValidUntil);
            const res = await readJson<EmbedResponse>(await this.post('/v1/embed', sent, signal));
            this.check(verifyEmbedAnswer(sent, res, this.registry));
            await this.trustWorker(res.receipt.workerKey, model);
            await this.settle(res.voucher, usageCounts(res.usage));
            return res;
        });
    }

    /** Speech to text of a 16 kHz mono WAV (`POST /v1/transcribe`). */
    async transcribe(model: string, wav: Buffer, maxTokens?: number, signal?: AbortSignal) {
        return this.withCommitRetry(async (minValidUntil) => {
            const inputs = {
                audio: wav.toString('base64'),
                ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
            };
            const sent = this.signGenerative(model, inputs, minValidUntil);
            const res = await readJson<TranscribeResponse>(await this.post('/v1/transcribe', sent, signal));
            this.check(verifyTranscribeAnswer(sent, res, this.registry));
            await this.trustWorker(res.receipt.workerKey, model);
            await this.settle(res.voucher, usageCounts(res.usage));
            return res;
        });
    }

    /**
     * Signs a generative body with the shared request signing (protocol/request.ts); `minValidUntil` is the least
     * validity a proxy asks for after a ledger recovery (`signed_before_recovery`). Returns the request's fields
     * (what the receipt is checked against) with its signed form (body bytes and signing headers) to send.
     */
    private signGenerative(
        model: string,
        inputs: Record<string, unknown>,
        minValidUntil?: number,
    ): InferenceRequest & { signed: SignedRequest } {
        const request: InferenceRequest = {
            requestId: randomBytes(32).toString('hex'),
            model: model.toLowerCase(),
            inputs,
            account: this.account.toString(),
            validUntil: Math.max(
                minValidUntil ?? 0,
                Math.floor(Date.now() / 1000) + (this.o.requestValiditySeconds ?? 300),
            ),
        };
        return { ...request, signed: signRequest(request, this.signer) };
    }

    private post(path: string, sent: { signed: SignedRequest }, signal?: AbortSignal): Promise<Response> {
        const { body, headers } = sent.signed;
        return this.transport.send({
            method: 'POST',
            path,
            signed: { body, headers },
            signal,
            timeoutMs: this.o.timeoutMs,
        });
    }

    private check(result: Check): void {
        if (!result.ok) throw new ReceiptError(result.reason);
    }

    /**
     * A receipt counts only when its worker key has an Active WorkerStake for the model on the proxy's registry and
     * an attested announcement (checked once per key and model, then cached; see workerTrust.ts).
     */
    private async trustWorker(workerKey: string, model: string): Promise<void> {
        this.trust ??= (async () =>
            new WorkerTrust({
                stakes: chainStakes(this.o.chain, this.registry),
                registry: this.o.workerRegistry ?? (await registrySnapshot(this.o.chain, this.registry)),
                policy: this.o.attestationPolicy,
            }))();
        this.trust.catch(() => (this.trust = null));
        const trust = await this.trust;
        this.check(await trust.check(workerKey, model.toLowerCase(), () => this.workerAnnouncement(workerKey)));
    }

    /**
     * Takes a response's voucher (checked against the proxy key and the response's usage: before the answer is
     * returned, always); commits when due — before returning too, unless commits run in the background.
     */
    private async settle(voucher: VoucherJson, usage: TokenCounts): Promise<void> {
        await this.acceptVoucher(voucher, usage);
        if (!this.backgroundCommits) {
            await this.commitIfDue();
            return;
        }
        // commitIfDue is single-flight; a commit that fails is tried again after the next answer (and, at the stake,
        // by the `uncommitted_usage` retry before a request is sent again).
        const commit = this.commitIfDue().catch((err: Error) =>
            (this.o.logger ?? console).warn(`committing the charge voucher failed (retried): ${err.message}`),
        );
        this.lastCommit = commit;
    }

    /** Whether due vouchers are committed off the answer's path (see {@link commitInBackground}). */
    private backgroundCommits = false;
    private lastCommit: Promise<unknown> = Promise.resolve();

    /**
     * Commits due vouchers in the background instead of before the answer that made them due is returned (the
     * gateway's mode: on a real network a commit waits for the chain, seconds, which would stall that one answer).
     * Every check of the answer and its voucher still happens before it is returned; only the chain send moves.
     */
    commitInBackground(): void {
        this.backgroundCommits = true;
    }

    /** Resolves once a background commit under way (if any) is done. */
    async settled(): Promise<void> {
        await this.lastCommit;
        await this.committing?.catch(() => undefined);
    }

    /**
     * The proxy refuses with `uncommitted_usage` when the unsettled usage reached the stake (e.g. after a restart,
     * or vouchers another process holds): commit the latest voucher and send once more, with a new request id.
     */
    private async withCommitRetry<T>(send: (minValidUntil?: number) => Promise<T>): Promise<T> {
        this.startRequest();
        try {
            return await this.withResign(send);
        } catch (err) {
            // Lost on the way (abort, timeout, connection): the proxy may have billed it.
            if (!(err instanceof ProxyError) && !(err instanceof ReceiptError)) this.audit.abandoned();
            if (!(err instanceof ProxyError) || err.code !== 'uncommitted_usage' || !this.latestVoucher) throw err;
            await this.commitVoucher();
            return this.withResign(send);
        } finally {
            this.endRequest();
        }
    }

    /**
     * After a ledger recovery the proxy takes only requests that cannot have been signed before it
     * (`signed_before_recovery`): sign again, valid at least until the `minValidUntil` it names, as `infer` does.
     */
    private async withResign<T>(send: (minValidUntil?: number) => Promise<T>): Promise<T> {
        try {
            return await send();
        } catch (err) {
            const min = err instanceof ProxyError ? err.details.minValidUntil : undefined;
            if (!(err instanceof ProxyError && err.code === 'signed_before_recovery' && typeof min === 'number')) {
                throw err;
            }
            return send(min);
        }
    }

    /** Checks the proxy's attestation (fresh nonce) and that its key is the Proxy contract's; throws if it fails. */
    async verifyProxy(registry: RegistryView): Promise<void> {
        const verdict = await verifyProxyAttestation({
            transport: this.transport,
            chain: this.o.chain,
            proxyAddress: this.o.proxyAddress,
            registry,
            policy: this.o.attestationPolicy,
        });
        if (!verdict.valid)
            throw new Error(`proxy attestation refused: ${verdict.error.code}: ${verdict.error.message}`);
    }

    /**
     * Signs and sends one request; checks the receipt against what was sent and received (and, with
     * `workerRegistry`, the worker's attestation), and the charge voucher against the proxy key and this account.
     */
    async infer(
        model: string,
        inputs: Record<string, unknown>,
        requestId = randomBytes(32).toString('hex'),
    ): Promise<InferResult> {
        this.startRequest();
        try {
            return await this.inferOnce(model, inputs, requestId);
        } catch (err) {
            if (!(err instanceof ProxyError) && !(err instanceof ReceiptError)) this.audit.abandoned();
            throw err;
        } finally {
            this.endRequest();
        }
    }

    private async inferOnce(model: string, inputs: Record<string, unknown>, requestId: string): Promise<InferResult> {
        const now = await this.o.chain.now();
        let request: InferenceRequest = {
            requestId,
            model: model.toLowerCase(),
            // The wire form (element bytes, base64): what the proxy and the worker hash, so the receipt checks here.
            inputs: toWireMap(inputs),
            account: this.account.toString(),
            validUntil: now + (this.o.requestValiditySeconds ?? 300),
        };
        const send = (r: InferenceRequest) =>
            postSigned<InferResponse>(this.transport, '/v1/infer', signRequest(r, this.signer), this.o.timeoutMs);
        let response: InferResponse;
        try {
            response = await send(request);
        } catch (err) {
            // After a ledger recovery the proxy takes only requests that cannot have been signed before it: sign
            // this one again, valid as long as it asks (never shorter than asked for).
            const min = err instanceof ProxyError ? err.details.minValidUntil : undefined;
            if (!(err instanceof ProxyError && err.code === 'signed_before_recovery' && typeof min === 'number')) {
                throw err;
            }
            request = { ...request, validUntil: Math.max(min, request.validUntil) };
            response = await send(request);
        }
        const check = verifyInferenceReceipt(response.receipt, request, response.outputs, this.registry);
        if (!check.ok) throw new ReceiptError(check.reason);
        if (response.receipt.workerKey !== response.workerKey) throw new ReceiptError('receipt and worker key differ');
        await this.trustWorker(response.receipt.workerKey, request.model);
        await this.settle(response.voucher, {
            prompt: BigInt(response.tokens),
            cached: 0n,
            completion: 0n,
            reasoning: 0n,
        });
        return { ...response, outputs: wireMapToJson(response.outputs), encodedOutputs: response.outputs };
    }

    /** A worker's signed announcement as the proxy keeps it (undefined when the proxy knows no such worker). */
    async workerAnnouncement(workerKey: string): Promise<SignedAnnouncement | undefined> {
        try {
            const path = `/v1/workers/${workerKey}`;
            return (await requestJson<{ announcement: SignedAnnouncement }>(this.transport, 'GET', path)).announcement;
        } catch (err) {
            if (err instanceof ProxyError && err.status === 404) return undefined;
            throw err;
        }
    }

    /**
     * The proxy's record of a charged request of this account (`GET /v1/receipts/:id`, signed with the wallet key:
     * the proxy answers only the account's owner). Throws a {@link ProxyError} 404 for another account's request.
     */
    async receipt(requestId: string): Promise<Record<string, unknown>> {
        // The proxy checks validity against the chain's clock (as it does a request's).
        const validUntil = (await this.o.chain.now()) + (this.o.requestValiditySeconds ?? 300);
        const headers = signReceiptQuery(requestId, this.account.toString(), validUntil, this.signer);
        const res = await this.transport.send({
            method: 'GET',
            path: `/v1/receipts/${requestId.toLowerCase()}`,
            headers,
            timeoutMs: this.o.timeoutMs,
        });
        return readJson<Record<string, unknown>>(res);
    }

    /** Commits the latest charge voucher on chain (ChargeSigned), whatever is unsettled. */
    async commitVoucher(): Promise<ClientAccountData | null> {
        const latest = this.latestVoucher;
        if (!latest) return null;
        const before = await this.accountData();
        // Already settled (another commit, or another process holding the same account): nothing to send.
        if (BigInt(latest.cumulative) <= before.charged) return this.remember(before);
        const body = voucherMessageBody(voucherFromJson(latest));
        await this.o.chain.open(ClientAccount.fromAddress(this.account)).send(
            this.o.wallet.sender,
            { value: CLIENT_FEES.charge },
            // ChargeSigned's fields, rebuilt from the body the helper made (one place builds voucher messages).
            {
                $$type: 'ChargeSigned',
                signature: body.beginParse().skip(32).loadBuffer(64),
                voucher: body.refs[0],
            },
        );
        return this.remember(await this.accountData());
    }

    /**
     * Commits when the unsettled part of the latest voucher is worth at least `commitFraction` of the stake. Reads
     * the account from chain only at the first call and after each commit, so a request costs no chain read.
     */
    async commitIfDue(): Promise<boolean> {
        if (!this.latestVoucher) return false;
        if (this.committing) {
            await this.committing;
            return false;
        }
        const data = this.accountCache ?? this.remember(await this.accountData());
        const unsettled = (BigInt(this.latestVoucher.cumulative) - data.charged) * data.price;
        const fraction = this.o.commitFraction ?? 0.5;
        const threshold = (data.stake * BigInt(Math.round(fraction * 10000))) / 10000n;
        if (unsettled <= 0n || unsettled < threshold) return false;
        this.committing = this.commitVoucher().finally(() => (this.committing = null));
        await this.committing;
        return true;
    }

    private remember(data: ClientAccountData): ClientAccountData {
        this.accountCache = { stake: data.stake, price: data.price, charged: data.charged };
        return data;
    }

    /**
     * Resumes from a voucher kept by an earlier session or another sender on this account (e.g. the CLI's voucher
     * file): its cumulative is the baseline the next vouchers' increases are checked from, and it is the one to commit
     * until a newer one arrives. Without it, a voucher that also counts usage this client never received is refused.
     */
    resumeFrom(voucher: VoucherJson): void {
        this.latestVoucher = voucher;
        this.audit.rebase(BigInt(voucher.cumulative));
    }

    /**
     * Resumes from a voucher kept by a session that ended with requests in flight (a gateway killed mid-request): the
     * proxy may have billed them after that voucher, so the next voucher is checked as after a request this client
     * abandoned (at least its own usage, at most the stake's worth more; see VoucherAudit.abandoned), and the count
     * goes on from it. A kept voucher the chain has already passed is not resumed from: the chain's count is the start.
     */
    async resumeAfterLoss(voucher: VoucherJson): Promise<void> {
        const data = this.remember(await this.accountData());
        this.audit.unseenLimit = data.price > 0n ? data.stake / data.price : null;
        if (BigInt(voucher.cumulative) >= data.charged) this.resumeFrom(voucher);
        else this.audit.rebase(data.charged);
        this.audit.abandoned();
    }

    private async acceptVoucher(v: VoucherJson, usage: TokenCounts): Promise<void> {
        const signed = voucherFromJson(v);
        const parsed = ed25519Verify(signed.voucher.hash(), signed.signature, this.proxyPublicKey)
            ? parseVoucher(signed.voucher)
            : null;
        if (
            !parsed ||
            parsed.op !== VoucherOp.charge ||
            !parsed.target.equals(this.account) ||
            parsed.cumulative.toString() !== v.cumulative
        ) {
            throw new ReceiptError('the charge voucher is not signed by the proxy key for this account');
        }
        if (this.audit.baseline === null) {
            // The session's start: what the chain has charged (read as its first request went out), or the voucher
            // the caller kept when that is newer. The first voucher is then checked exactly, as every later one.
            const data = this.remember(await this.sessionStart());
            this.audit.unseenLimit = data.price > 0n ? data.stake / data.price : null;
            this.audit.baseline =
                this.latestVoucher && BigInt(this.latestVoucher.cumulative) >= data.charged
                    ? BigInt(this.latestVoucher.cumulative)
                    : data.charged;
        }
        const audit = this.audit.check(parsed.cumulative, usage);
        if (!audit.ok) {
            (this.o.logger ?? console).warn(
                `voucher discrepancy from proxy ${this.o.proxyAddress.toString()}: ${audit.reason}`,
            );
            throw new ReceiptError(audit.reason);
        }
        const keep = (k: VoucherJson) => {
            if (!this.latestVoucher || BigInt(k.cumulative) > BigInt(this.latestVoucher.cumulative)) {
                this.latestVoucher = k;
                this.onVoucherKept?.(k);
            }
        };
        if (audit.committable) keep(v);
        else if (!this.pendingVoucher || BigInt(v.cumulative) > BigInt(this.pendingVoucher.cumulative)) {
            this.pendingVoucher = v;
        }
        // A voucher that counted an overlapping request's usage becomes committable once that usage has arrived too.
        if (this.pendingVoucher && BigInt(this.pendingVoucher.cumulative) <= this.audit.explainedUnits()) {
            keep(this.pendingVoucher);
            this.pendingVoucher = null;
        }
    }

    /** The highest voucher that counted usage this client had not received yet when it came (see acceptVoucher). */
    private pendingVoucher: VoucherJson | null = null;

    /** The account as read from chain when the session's first request went out (the first voucher's baseline). */
    private accountAtStart: Promise<ClientAccountData> | null = null;

    /**
     * Called as each request starts: until the session has its baseline, reads the account from chain alongside the
     * request (so the read costs the first answer no latency), once.
     */
    private startRequest(): void {
        this.audit.begin();
        this.onInFlight?.(++this.requestsInFlight);
        if (this.audit.baseline !== null || this.accountAtStart) return;
        const read = this.accountData();
        // A failed read is retried by the next request (and surfaces where the baseline is awaited).
        read.catch(() => {
            if (this.accountAtStart === read) this.accountAtStart = null;
        });
        this.accountAtStart = read;
    }

    private endRequest(): void {
        this.audit.end();
        this.onInFlight?.(--this.requestsInFlight);
    }

    private sessionStart(): Promise<ClientAccountData> {
        return (this.accountAtStart ??= this.accountData());
    }

    private accountContract() {
        return this.o.chain.open(ClientAccount.fromAddress(this.account));
    }
}
