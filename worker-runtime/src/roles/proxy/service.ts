/**
 * The proxy's request path, independent of HTTP: authenticate the client, check it can pay, validate the inputs,
 * run the request on a worker (moving it to another one when a worker fails or times out), verify the worker's
 * receipt, meter, charge once, sign the client's voucher (the worker's payout voucher is signed lazily, payouts.ts). See docs/runtime.md ("A request").
 */
import { Address } from '@ton/core';
import { Redis } from 'ioredis';
import { Chain } from '../../chain';
import {
    DEFAULT_INPUT_LIMITS,
    InvalidInputError,
    maxTokens,
    meter,
    ModelKind,
    rawMapToWire,
    TensorSpec,
    validateInputs,
    WireTensorMap,
} from '../../inference';
import { Logger } from '../../observability';
import { RoleMetrics } from '../../observability';
import {
    BODY_HASH_HEADER,
    bodyHash,
    digestOfBodyHash,
    receiptQueryBody,
    VALID_UNTIL_HEADER,
} from '../../protocol/request';
import { SealedRecords } from './records';
import { TokenCounts } from '../../protocol/voucher';
import { GenerativeModelInfo, maxUnitsOf, subCounts } from './generative/metering';
import { ed25519Verify } from '../../crypto/ed25519';
import { AccountSnapshot, ClientAccounts, ClientState } from './accounts';
import { ProxyConfig } from './config';
import { UsageCounters } from './counters';
import { Dispatcher } from './dispatcher';
import { ProxyRefusal, refuse } from './errors';
import { PayoutVouchers } from './payouts';
import { ReputationBook } from './reputation';
import { maxBodyBytes } from './limits';
import { parseInferBody, parseSignedHeaders, SignedHeaders } from './request';
import { Reservations } from './reservations';
import { VoucherJson, VoucherSigner } from './vouchers';
import { checkReceipt, expectedReceipt, parseWorkerResult, ReceiptJson, WorkerAdmissionPort } from './workers';

export interface ServedModel {
    /** SHA-256 of the model file, 64 hex characters (the registry's model hash). */
    hash: string;
    name: string;
    kind: ModelKind;
    inputs: TensorSpec[];
    outputs: TensorSpec[];
    /** Generative models: task, context and the tokenizer/template the proxy counts with (never the weights). */
    generative?: GenerativeModelInfo;
}

export interface InferResponse {
    requestId: string;
    model: string;
    /** The outputs in the wire form (`data`: base64 of the elements' little-endian bytes; NaN and ±Infinity exact). */
    outputs: WireTensorMap;
    receipt: ReceiptJson;
    workerKey: string;
    /** Tokens metered for this request (the model's metering rule, computed by the proxy). */
    tokens: number;
    /** The client's cumulative charge voucher, covering this request. */
    voucher: VoucherJson;
}

/** What the proxy keeps per charged request (no inputs or outputs; sealed in Redis, records.ts: Redis is untrusted). */
export interface ChargedRecord {
    requestId: string;
    model: string;
    account: string;
    workerKey: string;
    receipt: ReceiptJson;
    tokens: number;
    chargedAt: number;
}

export interface ServiceDeps {
    config: ProxyConfig;
    /** The registry of this proxy's Proxy contract: worker receipts must be bound to it. */
    registry: Address;
    chain: Chain;
    redis: Redis;
    models: Map<string, ServedModel>;
    accounts: ClientAccounts;
    counters: UsageCounters;
    reservations: Reservations;
    dispatcher: Dispatcher;
    admission: WorkerAdmissionPort;
    reputation: ReputationBook;
    signer: VoucherSigner;
    payouts: PayoutVouchers;
    metrics: RoleMetrics;
    logger: Logger;
    /** Largest body any served model accepts (the HTTP layer's limit too). */
    maxBodyBytes: number;
    /** Seals the charged records and tags the body digests before they reach Redis. */
    records: SealedRecords;
    /** Called after each charge with the charges not yet committed (the role commits when enough accumulated). */
    afterCharge?: (uncommitted: number) => void;
}

/** First pause (doubled each time, at most 500 ms) while workers pick up a rotated queue key (they poll their grant). */
const STALE_KEY_RETRY_MS = 50;

/** A request whose headers passed {@link InferenceService.authenticate}. */
export interface Authenticated extends SignedHeaders {
    /** The signed digest (the request's identity for conflict checks). */
    digest: Buffer;
}

/** Signatures remembered as presented with a body they do not cover (refused from the headers next time). */
const MISMATCHED_SIGNATURES = 10_000;
/** `Retry-After` of a request whose job Redis kept losing: the queue is likely being restored or recovered. */
const VANISHED_RETRY_AFTER_S = 5;

export type Health = { ok: true } | { ok: false; error: string };

export class InferenceService {
    /** Null while serving; the reason otherwise (e.g. Redis rolled back). */
    refusal: string | null = null;
    private readonly mismatched = new Set<string>();
    /**
     * Chain time of the last ledger recovery (`chrysalis proxy recover`), or null. The charge records that made a
     * replayed request a duplicate are gone after it, so requests that may have been signed before it are refused.
     */
    recoveredAt: number | null = null;

    constructor(private readonly d: ServiceDeps) {}

    /** Unhealthy when the proxy refuses to serve, or when a served model has no admitted worker to run it. */
    async health(): Promise<Health> {
        if (this.refusal) return { ok: false, error: this.refusal };
        const { admission } = this.d;
        if (admission.liveWorkers) {
            for (const model of this.d.models.values()) {
                if ((await admission.liveWorkers(model.hash)) === 0) {
                    return {
                        ok: false,
                        error: `no admitted worker for model ${model.name} (${model.hash}): its requests cannot be served`,
                    };
                }
            }
        }
        return { ok: true };
    }

    /**
     * Authenticates a request from its headers alone, before its body is read: the account, and the owner's signature
     * over the body hash the client declares. A forged request is refused here, its upload never received or hashed.
     * A signature seen with a body of another hash (a captured header replayed with other bytes) is refused here too.
     */
    async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Authenticated> {
        if (this.refusal) refuse('state_rolled_back', this.refusal);
        const signed = parseSignedHeaders(headers);
        if (this.mismatched.has(signed.signature.toLowerCase())) {
            refuse('bad_signature', 'this signature was already presented with a body it does not cover');
        }
        const ownerKey = await this.d.accounts.ownerPublicKey(signed.accountAddress);
        const digest = digestOfBodyHash(signed.bodyHash);
        if (!ed25519Verify(digest, Buffer.from(signed.signature, 'hex'), ownerKey)) {
            refuse('bad_signature', 'the signature does not verify with the account owner wallet key');
        }
        return { ...signed, digest };
    }

    /**
     * What every paid endpoint (tensor and generative) does first, cheapest refusals first: the body's hash against
     * the signed one (nothing is parsed before it matches), the body's size against the model's bound, the parsed
     * body, model, expiry, admission (queue wait), duplicate id and the account's funds. `generative` endpoints refuse
     * an unknown model with 400 (it is bad input there, as every other field).
     */
    async admit(raw: Buffer, auth: Authenticated, opts: { generative?: boolean } = {}) {
        if (this.refusal) refuse('state_rolled_back', this.refusal);
        const { accountAddress } = auth;
        if (!bodyHash(raw).equals(auth.bodyHash)) {
            this.remember(auth.signature);
            refuse('bad_signature', `the body does not hash to the signed ${BODY_HASH_HEADER}`);
        }
        // The balance (cached `accountCacheMs`) is read only for authenticated requests. It, and the request's charge
        // record, are read while the body is checked: the refusals keep their order (an account refusal first).
        const reading = this.d.accounts.read(accountAddress);
        // The chain's clock (on the devnet a briefly kept reading of its TON API) is asked at once too.
        const clock = this.d.chain.now();
        clock.catch(() => undefined);
        let req: ReturnType<typeof parseInferBody>;
        try {
            if (raw.length > this.d.maxBodyBytes) {
                refuse('body_too_large', `a request body may be at most ${this.d.maxBodyBytes} bytes`);
            }
            req = parseInferBody(raw, accountAddress);
        } catch (err) {
            await reading;
            throw err;
        }
        const client = accountAddress.toRawString();
        const lookup = this.d.counters.lookup(req.requestId, client);
        lookup.catch(() => undefined); // awaited below, unless a refusal comes first
        const account = await reading;
        const log = this.d.logger.child({ requestId: req.requestId });
        const model = this.d.models.get(req.model);
        if (!model) {
            return refuse(
                'unknown_model',
                `model ${req.model} is not served here; see GET /v1/models`,
                undefined,
                undefined,
                opts.generative ? 400 : undefined,
            );
        }
        if (!model.generative) {
            const bound = maxBodyBytes(model.inputs);
            if (raw.length > bound) {
                refuse(
                    'body_too_large',
                    `a request to ${model.name} may be at most ${bound} bytes (its declared shapes)`,
                );
            }
        }
        const now = await clock;
        const maxValidity = this.d.config.requestMaxValiditySeconds;
        if (req.validUntil < now) refuse('expired', `the request expired at ${req.validUntil} (now ${now})`);
        if (req.validUntil > now + maxValidity) {
            refuse('expired', `validUntil may be at most ${maxValidity} s ahead`);
        }
        // A request signed before the recovery has validUntil <= signing time + maxValidity < recoveredAt + maxValidity.
        if (this.recoveredAt !== null && req.validUntil < this.recoveredAt + maxValidity) {
            const minValidUntil = this.recoveredAt + maxValidity;
            refuse(
                'signed_before_recovery',
                `this proxy recovered its ledger at ${this.recoveredAt}: a request may have been signed before that ` +
                    `unless its validUntil is at least ${minValidUntil}; sign it again with that validUntil`,
                undefined,
                { minValidUntil },
            );
        }
        this.checkBacklog(model);
        const known = await lookup;
        if (known.record) {
            refuse(
                'duplicate_request',
                `request ${req.requestId} was already served: GET /v1/receipts/${req.requestId}`,
            );
        }
        this.checkFunds(accountAddress, account, known.clientCounts);
        // Reservations keep a keyed tag of the digest: equality is all they need, and Redis learns nothing from it.
        return { req, model, account, log, client, digest: this.d.records.tag(auth.digest) };
    }

    /** A tensor request: admitted, its inputs validated, its maximum cost reserved before anything is queued. */
    async infer(raw: Buffer, auth: Authenticated): Promise<InferResponse> {
        const { req, model, account, log, client, digest } = await this.admit(raw, auth);
        const accountAddress = auth.accountAddress;
        let inputs: WireTensorMap;
        try {
            inputs = rawMapToWire(validateInputs(model.inputs, req.inputs));
        } catch (err) {
            if (err instanceof InvalidInputError) refuse('invalid_input', err.message);
            throw err;
        }
        const most = maxTokens(
            model.kind,
            model.inputs,
            inputs,
            model.outputs,
            DEFAULT_INPUT_LIMITS.maxElementsPerTensor,
        );
        const reserved = await this.reserve(
            req.requestId,
            accountAddress,
            account,
            digest,
            maxUnitsOf(
                { prompt: BigInt(most), cached: 0n, completion: 0n, reasoning: 0n },
                this.d.signer.multipliersBps,
            ),
        );
        // The charge script releases the reservation in the same step (counters.ts): from then on nothing is held.
        let held = reserved;
        try {
            const started = Date.now();
            const { result, receipt, owner, forget } = await this.run(model, req.requestId, inputs, log);
            // Never more than the reservation: the maximum is what the client was admitted for.
            const tokens = Math.min(meter(model.kind, inputs, result.outputs), most);
            const charged = await this.charge(
                model,
                req.requestId,
                accountAddress,
                owner,
                receipt,
                result.workerKey,
                { prompt: BigInt(tokens), cached: 0n, completion: 0n, reasoning: 0n },
                account.price,
            );
            held = false;
            // The sealed inputs and outputs have served their purpose: the charged record keeps the receipt.
            await forget();
            const response: InferResponse = {
                requestId: charged.requestId,
                model: charged.model,
                receipt: charged.receipt,
                workerKey: charged.workerKey,
                tokens: charged.tokens,
                voucher: charged.voucher,
                outputs: result.outputs,
            };
            this.d.metrics.requests.inc({ model: model.name, outcome: 'ok' });
            this.d.metrics.endToEndSeconds.observe({ model: model.name }, (Date.now() - started) / 1000);
            // Per request: debug (an info line would cost a write per request; the metrics count them).
            log.debug({ tokens, workerKey: result.workerKey }, 'request served');
            return response;
        } finally {
            // A charge released the reservation already (in the same script); this covers every other way out.
            if (held) await this.d.reservations.release(client, req.requestId);
        }
    }

    private remember(signature: string): void {
        // Insertion order makes the Set a FIFO: forget the oldest past the bound.
        if (this.mismatched.size >= MISMATCHED_SIGNATURES) {
            this.mismatched.delete(this.mismatched.values().next().value as string);
        }
        this.mismatched.add(signature.toLowerCase());
    }

    /** Admission control: while the oldest job of this model has waited longer than the bound, refuse new work. */
    private checkBacklog(model: ServedModel): void {
        const waited = this.d.dispatcher.oldestWaitMs(model.hash);
        if (waited > this.d.config.admissionQueueWaitMs) {
            this.d.metrics.errors.inc({ kind: 'overloaded' });
            refuse(
                'overloaded',
                `${model.name} has a backlog (the oldest queued request has waited ${waited} ms): retry later`,
                Math.max(1, Math.ceil(waited / 1000)),
            );
        }
    }

    /**
     * Sets the request's maximum cost (billing units, rounded up) aside against charged + ⌊balance / price⌋ less the
     * units metered and reserved already (reservations.ts), and binds the request id to this body's digest while it is
     * in flight. The very same body sent again while the first is in flight joins it (the queue runs one job, the
     * charge counts once): false, nothing reserved here. Generative endpoints use it too.
     */
    async reserve(
        requestId: string,
        address: Address,
        account: AccountSnapshot,
        digest: string,
        units: bigint,
    ): Promise<boolean> {
        const budget = account.charged + (account.price > 0n ? account.balance / account.price : 1n << 62n);
        const outcome = await this.d.reservations.reserve({
            account: address.toRawString(),
            requestId,
            digest,
            units,
            budget,
        });
        if (outcome.kind === 'reserved') return true;
        if (outcome.kind === 'closing') {
            refuse('unavailable', 'this proxy is closing and takes no new requests');
        }
        if (outcome.kind === 'served') {
            refuse('duplicate_request', `request ${requestId} was already served: GET /v1/receipts/${requestId}`);
        }
        if (outcome.kind === 'in_flight') {
            if (outcome.digest !== digest) {
                refuse('request_id_conflict', `request id ${requestId} is in flight with another body: use a new id`);
            }
            return false;
        }
        this.d.accounts.invalidate(address);
        const left = budget - outcome.metered - outcome.reserved;
        return refuse(
            'insufficient_funds',
            `insufficient funds: this request may cost up to ${units} units; the account can pay ${left > 0n ? left : 0n} ` +
                `more (balance ${account.balance} nanoTON; ${outcome.metered} units metered, ${outcome.reserved} ` +
                'reserved by requests in flight): top up the ClientAccount',
        );
    }

    /**
     * The charged record of a request, for its account's owner only: the query is signed like a request (the three
     * signing headers over {@link receiptQueryBody}, valid until `x-chrysalis-valid-until`). Another account's request
     * is answered as an unknown one.
     */
    async receipt(requestId: string, headers: Record<string, string | string[] | undefined>): Promise<ChargedRecord> {
        if (!/^[0-9a-f]{64}$/i.test(requestId)) refuse('bad_request', 'a request id is 64 hex characters');
        const id = requestId.toLowerCase();
        const validUntil = Number(headers[VALID_UNTIL_HEADER]);
        if (!Number.isSafeInteger(validUntil)) {
            refuse('bad_request', `a receipt query is signed: the ${VALID_UNTIL_HEADER} header must be a Unix time`);
        }
        const auth = await this.authenticate(headers);
        if (!bodyHash(receiptQueryBody(id, auth.accountAddress.toString(), validUntil)).equals(auth.bodyHash)) {
            refuse('bad_signature', `the signed ${BODY_HASH_HEADER} is not that of this receipt query`);
        }
        const now = await this.d.chain.now();
        const maxValidity = this.d.config.requestMaxValiditySeconds;
        if (validUntil < now) refuse('expired', `the query expired at ${validUntil} (now ${now})`);
        if (validUntil > now + maxValidity) refuse('expired', `validUntil may be at most ${maxValidity} s ahead`);
        const stored = await this.d.counters.chargedRecord(id);
        const record = stored ? (JSON.parse(this.d.records.open(id, stored)) as ChargedRecord) : null;
        if (!record || !Address.parse(record.account).equals(auth.accountAddress)) {
            refuse('not_found', `no charged request ${id} of this account`);
        }
        return record;
    }

    /**
     * Funds, the quick refusals: the account must be active, its balance must cover what the proxy metered but the
     * chain has not charged yet plus at least one more unit, and the uncharged usage must stay below the stake (the
     * stake is what backs usage between charges; the SDK commits its voucher at half the stake). The bound on this
     * request itself is the reservation that follows ({@link reserve}).
     */
    private checkFunds(address: Address, account: AccountSnapshot, clientTokens: TokenCounts): void {
        if (account.state !== ClientState.active) {
            const what = account.state === ClientState.closed ? 'closed' : 'closing';
            refuse('account_not_active', `the ClientAccount is ${what}: open a new account to send requests`);
        }
        const metered = this.d.signer.units(clientTokens);
        const owedUnits = metered > account.charged ? metered - account.charged : 0n;
        const owed = owedUnits * account.price;
        const minimum = account.price * (this.d.signer.units(1n) || 1n);
        if (account.balance - owed < minimum) {
            this.d.accounts.invalidate(address);
            refuse(
                'insufficient_funds',
                `insufficient funds: balance ${account.balance} nanoTON, ${owed} nanoTON metered but not yet charged, ` +
                    `${minimum} nanoTON needed for the next request: top up the ClientAccount`,
            );
        }
        if (owed >= account.stake) {
            this.d.accounts.invalidate(address);
            refuse(
                'uncommitted_usage',
                `${owed} nanoTON of usage is not charged yet, which reaches the stake (${account.stake}): ` +
                    'commit your latest charge voucher on chain (ChargeSigned)',
            );
        }
    }

    /**
     * Runs a request on a worker, moving it to another one on failure or timeout; checks the worker's receipt over
     * `receiptInputs` (the client's signed inputs; for tensor models the job's inputs are exactly those).
     */
    async run(model: ServedModel, requestId: string, inputs: unknown, log: Logger, receiptInputs: unknown = inputs) {
        const { config, dispatcher, reputation, admission } = this.d;
        let lastProblem = 'no worker took the request';
        let staleSince: number | null = null;
        let staleRetries = 0;
        let staleResults = 0;
        let vanished = false;
        for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
            const outcome = await dispatcher.attempt(
                model.hash,
                requestId,
                inputs,
                config.resultTimeoutMs,
                attempt > 1,
                config.maxQueueWaitMs,
            );
            if (outcome.kind === 'invalid_input') refuse('invalid_input', outcome.message);
            if (outcome.kind === 'unclaimed') {
                // A backlog, not a fault: nobody is blamed, and the client is told when to come back.
                this.d.metrics.requests.inc({ model: model.name, outcome: 'overloaded' });
                refuse(
                    'overloaded',
                    `no worker took the request within ${config.maxQueueWaitMs} ms: retry later`,
                    Math.max(1, Math.ceil(config.maxQueueWaitMs / 1000)),
                );
            }
            if (outcome.kind === 'stale_result') {
                // A result under another key version (or one gone from Redis) is dropped and the job runs again; it
                // counts against nobody. Bounded, so a Redis that keeps losing results cannot loop a request forever.
                log.warn({ why: outcome.message }, 'stale result dropped, running the job again');
                if (++staleResults <= config.maxAttempts) attempt--;
                lastProblem = outcome.message;
                continue;
            }
            // Redis lost the job (wiped, rolled back, evicted): no worker is to blame and the input was fine, so the
            // request is queued again; it costs an attempt, so a Redis that keeps losing jobs ends in a 503.
            if (outcome.kind === 'vanished') {
                lastProblem = `the queue lost the job: ${outcome.message}`;
                vanished = true;
                log.warn({ attempt }, 'the job vanished from the queue, dispatching it again');
                continue;
            }
            vanished = false;
            if (outcome.kind === 'result') {
                const result = parseWorkerResult(outcome.raw, model.generative !== undefined);
                const admitted = result ? await admission.admittedWorker(result.workerKey) : null;
                // A worker answers only for the model it was admitted for (each model has its own queue key).
                const worker = admitted && admitted.modelHash === model.hash ? admitted : null;
                const receipt =
                    result && worker
                        ? checkReceipt(
                              expectedReceipt(requestId, model.hash, receiptInputs, result.outputs, this.d.registry),
                              result,
                          )
                        : null;
                if (result && worker && receipt) {
                    reputation.record(result.workerKey, 'success', outcome.ms);
                    return { result, receipt, owner: worker.owner, forget: outcome.forget };
                }
                lastProblem = !result
                    ? 'a worker returned a malformed result'
                    : !worker
                      ? `worker ${result.workerKey.slice(0, 16)}… holds no current grant`
                      : `worker ${result.workerKey.slice(0, 16)}… returned a receipt that does not verify`;
                if (result) await this.penalise(result.workerKey, 'failure', outcome.ms, lastProblem, log);
                continue;
            }
            // A worker that cannot open the job holds another queue key version: a rotation is under way. An admitted
            // worker has simply not read its new grant yet (not its fault); a demoted one may still be draining its old
            // consumer (counted against it, which changes nothing any more). Either way the attempt does not count
            // while the rotation grace lasts: the request waits, with a growing pause, for the new key to be in use.
            if (outcome.kind === 'failure' && outcome.staleKey) {
                staleSince ??= Date.now();
                if (Date.now() - staleSince < config.rotationGraceMs) {
                    const admitted = outcome.worker ? await admission.admittedWorker(outcome.worker) : null;
                    if (outcome.worker && !admitted) {
                        await this.penalise(outcome.worker, 'failure', outcome.ms, 'stale queue key', log);
                    }
                    attempt--;
                    await new Promise((resolve) =>
                        setTimeout(resolve, Math.min(500, STALE_KEY_RETRY_MS * 2 ** staleRetries++)),
                    );
                    continue;
                }
            }
            lastProblem =
                outcome.kind === 'timeout'
                    ? `a worker did not answer within ${config.resultTimeoutMs} ms`
                    : `a worker failed: ${outcome.message}`;
            if (outcome.worker) await this.penalise(outcome.worker, outcome.kind, outcome.ms, lastProblem, log);
            log.warn({ attempt, worker: outcome.worker, kind: outcome.kind }, 'attempt failed, retrying');
        }
        this.d.metrics.requests.inc({ model: model.name, outcome: 'failed' });
        if (vanished) {
            return refuse(
                'unavailable',
                `the request could not be served after ${config.maxAttempts} attempts: ${lastProblem}; retry later`,
                VANISHED_RETRY_AFTER_S,
            );
        }
        return refuse(
            'no_worker',
            `the request could not be served after ${config.maxAttempts} attempts: ${lastProblem}`,
        );
    }

    async penalise(workerKey: string, outcome: 'failure' | 'timeout', ms: number, why: string, log: Logger) {
        this.d.metrics.errors.inc({ kind: `worker_${outcome}` });
        if (this.d.reputation.record(workerKey, outcome, ms)) {
            log.warn({ workerKey, why }, 'worker below the reputation threshold: demoting');
            await this.d.admission.demote(workerKey, why);
        }
    }

    /**
     * Bills a request once: adds its token counts to the client's and the worker owner's running totals (one atomic
     * script, charge-once by request id), stores its record, and signs the client's cumulative voucher. `units` and
     * `costNanoton` are what this request moved the cumulative voucher by (the vouchers' own rounding).
     */
    async charge(
        model: ServedModel,
        requestId: string,
        account: Address,
        owner: Address,
        receipt: ReceiptJson | null,
        workerKey: string,
        counts: TokenCounts,
        price: bigint,
        extra: Record<string, unknown> = {},
    ): Promise<Omit<InferResponse, 'outputs'> & { units: bigint; costNanoton: bigint; charged: boolean }> {
        const now = await this.d.chain.now();
        const tokens = Number(counts.prompt + counts.cached + counts.completion + counts.reasoning);
        const record: ChargedRecord = {
            requestId,
            model: model.hash,
            account: account.toString(),
            workerKey,
            receipt: receipt as ReceiptJson,
            tokens,
            chargedAt: now,
            ...extra,
        };
        const outcome = await this.d.counters.charge({
            requestId,
            client: account.toRawString(),
            workerOwner: owner.toRawString(),
            workerKey,
            counts,
            record: this.d.records.seal(requestId, JSON.stringify(record)),
        });
        if (outcome.charged) {
            // The payout voucher is signed when it is asked for (payouts.ts): the owner's counter already moved.
            this.d.payouts.served(workerKey, owner);
            this.d.afterCharge?.(outcome.uncommitted);
        }
        const after = this.d.signer.units(outcome.clientCounts);
        const before = this.d.signer.units(subCounts(outcome.clientCounts, counts));
        const units = outcome.charged ? after - before : 0n;
        const voucher = this.d.signer.charge(account, outcome.clientCounts, now);
        this.d.metrics.vouchersSigned.inc({ kind: 'charge' });
        return {
            requestId,
            model: model.hash,
            receipt: receipt as ReceiptJson,
            workerKey,
            tokens,
            voucher,
            units,
            costNanoton: units * price,
            charged: outcome.charged,
        };
    }
}

export { ProxyRefusal };
