/**
 * The client SDK: an app backend's handle on one ClientAccount at one proxy.
 *
 *   const client = await ChrysalisClient.connect({ proxyUrl, chain, proxyAddress, wallet });
 *   await client.openAccount(toNano('1'), toNano('10'));     // stake, deposit (once)
 *   await client.verifyProxy(registryView);                  // before sending anything private
 *   const { outputs, receipt } = await client.infer(modelHash, inputs);   // signed, receipt and voucher checked
 *   // the latest charge voucher is committed on chain automatically once half the stake's worth is unsettled
 */
import { randomBytes } from 'node:crypto';
import { Address, Sender } from '@ton/core';
import { KeyPair } from '@ton/crypto';
import { Chain } from '../chain';
import { InferenceRequest, signRequest } from '../protocol/request';
import { JsonTensorMap, toWireMap, wireMapToJson, WireTensorMap } from '../inference';
import { parseVoucher, VoucherOp, voucherMessageBody } from '../protocol/voucher';
import { ed25519Signer, ed25519Verify } from '../crypto/ed25519';
import { RegistryView } from '../tee';
import { ClientAccount, ClientAccountData } from '../../../wrappers/ClientAccount';
import { CLIENT_FEES } from '../../../wrappers/billingFees';
import { Proxy } from '../../../wrappers/Proxy';
import type { InferResponse } from '../roles/proxy/service';
import { voucherFromJson, VoucherJson } from '../roles/proxy/vouchers';
import { postSigned, ProxyError, requestJson } from './http';
import { PolicyOptions, verifyInferenceReceipt, verifyProxyAttestation, verifyWorkerAttestation } from './verify';

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
    /** Check each receipt's worker announcement and attestation against this registry view. */
    workerRegistry?: RegistryView;
    attestationPolicy?: PolicyOptions;
    /** HTTP timeout per request, ms (default 60000). */
    timeoutMs?: number;
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

export class ChrysalisClient {
    /** The ClientAccount's address (derived by the Proxy contract from the wallet address). */
    readonly account: Address;
    /** The proxy's Ed25519 key, read from the Proxy contract: every voucher must be signed by it. */
    readonly proxyPublicKey: Buffer;
    /** The latest (highest) charge voucher received. */
    latestVoucher: VoucherJson | null = null;
    private readonly verifiedWorkers = new Set<string>();
    private committing: Promise<unknown> | null = null;
    /** Signs request digests with the wallet key (node:crypto; identical to tweetnacl's signatures, 60x faster). */
    private readonly signer: (message: Buffer) => Buffer;

    private constructor(
        private readonly o: ChrysalisClientOptions,
        account: Address,
        proxyPublicKey: Buffer,
        /** The registry of the Proxy contract's network: every receipt must be bound to it. */
        readonly registry: Address,
    ) {
        this.account = account;
        this.proxyPublicKey = proxyPublicKey;
        this.signer = ed25519Signer(o.wallet.keyPair.secretKey);
    }

    static async connect(options: ChrysalisClientOptions): Promise<ChrysalisClient> {
        const proxy = options.chain.open(Proxy.fromAddress(options.proxyAddress));
        const [account, data, config] = await Promise.all([
            proxy.getClientAccountAddress(options.wallet.address),
            proxy.getProxyData(),
            proxy.getProxyConfig(),
        ]);
        return new ChrysalisClient(
            options,
            account,
            Buffer.from(data.publicKey.toString(16).padStart(64, '0'), 'hex'),
            config.registry,
        );
    }

    /** Points the SDK at another URL of the same proxy (e.g. after a restart on another port). */
    setProxyUrl(proxyUrl: string): void {
        this.o.proxyUrl = proxyUrl;
    }

    /** Opens the ClientAccount with `stake` locked and `deposit` as balance (sends OpenClientAccount to the Proxy). */
    async openAccount(stake: bigint, deposit: bigint): Promise<ClientAccountData> {
        await this.o.chain.open(Proxy.fromAddress(this.o.proxyAddress)).send(
            this.o.wallet.sender,
            { value: stake + deposit + CLIENT_FEES.open },
            {
                $$type: 'OpenClientAccount',
                queryId: 0n,
                stake,
            },
        );
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
        return (await requestJson<{ models: never[] }>(this.o.proxyUrl, 'GET', '/v1/models')).models;
    }

    /** Checks the proxy's attestation (fresh nonce) and that its key is the Proxy contract's; throws if it fails. */
    async verifyProxy(registry: RegistryView): Promise<void> {
        const verdict = await verifyProxyAttestation({
            proxyUrl: this.o.proxyUrl,
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
            postSigned<InferResponse>(this.o.proxyUrl, '/v1/infer', signRequest(r, this.signer), this.o.timeoutMs);
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
        if (this.o.workerRegistry && !this.verifiedWorkers.has(response.workerKey)) {
            const verdict = await verifyWorkerAttestation({
                proxyUrl: this.o.proxyUrl,
                workerKey: response.workerKey,
                registry: this.o.workerRegistry,
                policy: this.o.attestationPolicy,
            });
            if (!verdict.valid) throw new ReceiptError(`worker attestation refused: ${verdict.error.message}`);
            this.verifiedWorkers.add(response.workerKey);
        }
        this.acceptVoucher(response.voucher);
        await this.commitIfDue();
        return { ...response, outputs: wireMapToJson(response.outputs), encodedOutputs: response.outputs };
    }

    /** Commits the latest charge voucher on chain (ChargeSigned), whatever is unsettled. */
    async commitVoucher(): Promise<ClientAccountData | null> {
        const latest = this.latestVoucher;
        if (!latest) return null;
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
        return this.accountData();
    }

    /** Commits when the unsettled part of the latest voucher is worth at least `commitFraction` of the stake. */
    async commitIfDue(): Promise<boolean> {
        if (!this.latestVoucher) return false;
        if (this.committing) {
            await this.committing;
            return false;
        }
        const data = await this.accountData();
        const unsettled = (BigInt(this.latestVoucher.cumulative) - data.charged) * data.price;
        const fraction = this.o.commitFraction ?? 0.5;
        const threshold = (data.stake * BigInt(Math.round(fraction * 10000))) / 10000n;
        if (unsettled <= 0n || unsettled < threshold) return false;
        this.committing = this.commitVoucher().finally(() => (this.committing = null));
        await this.committing;
        return true;
    }

    private acceptVoucher(v: VoucherJson): void {
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
        if (!this.latestVoucher || BigInt(v.cumulative) > BigInt(this.latestVoucher.cumulative)) this.latestVoucher = v;
    }

    private accountContract() {
        return this.o.chain.open(ClientAccount.fromAddress(this.account));
    }
}
