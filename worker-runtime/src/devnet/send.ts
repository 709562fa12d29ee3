/**
 * Sends one signed request to a running devnet (`npm run devnet -- --keep-running`) as its demo client, and checks
 * the receipt. The devnet's chain lives inside the devnet process, so this talks to the proxy's HTTP API only and
 * checks the receipt's worker key against the registry snapshot the devnet saved (its stake and attestation, as the
 * SDK checks them on chain); the client's key comes from the devnet seed, and the account address is the one the
 * devnet printed.
 *
 *   npx tsx worker-runtime/src/devnet/send.ts --account <address> --snapshot <registry.json> --model tiny-mlp
 *       [--url https://127.0.0.1:8080] [--input inputs.json | --n 3] [--seed devnet] [--plain-http]
 *
 * An https:// proxy is reached over RA-TLS, checked against the snapshot (the registered proxy's key, the proxy image
 * allow-list); an http:// one only with --plain-http, and only when the snapshot is of a test network.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Address } from '@ton/core';
import { postSigned, requestJson } from '../client/http';
import { proxyTransport, ProxyTransport } from '../client/transport';
import { snapshotView } from '../client/registrySnapshot';
import { RaTlsVerifier } from '../ratls/peer';
import { checkReceiptBundle } from '../client/receiptFile';
import { SavedRegistrySnapshot } from '../client/registrySnapshot';
import { toWireMap } from '../inference/codec';
import type { SignedAnnouncement } from '../protocol/announcement';
import { InferenceRequest, signRequest } from '../protocol/request';
import type { InferResponse } from '../roles/proxy/service';
import { demoInputs } from './demoInputs';
import { devnetMnemonicKeyPair } from './keys';
import { DEVNET_MODEL_NAMES, DevnetModelName } from './models';

export interface SendOptions {
    url: string;
    account: string;
    /** A model name the proxy lists (or its hash). */
    model: string;
    /** Inputs; default the demo client's request number `n` for that model. */
    inputs?: Record<string, unknown>;
    n?: number;
    seed?: string;
    /** The registry snapshot the devnet saved: receipts count only from keys staked (and attested) there. */
    snapshot: SavedRegistrySnapshot;
    /** Accept an http:// URL (only where the snapshot is of a test network). */
    plainHttp?: boolean;
}

/** RA-TLS against the snapshot: the proxy registered at this endpoint (or the only one) must be the one attested. */
export function snapshotTransport(url: string, snapshot: SavedRegistrySnapshot, plainHttp = false): ProxyTransport {
    const proxies = snapshot.proxies ?? [];
    const listed = proxies.find((p) => p.endpoint === url) ?? (proxies.length === 1 ? proxies[0] : undefined);
    const verifier = listed
        ? new RaTlsVerifier({
              proxyKey: Buffer.from(listed.publicKey, 'hex'),
              registry: async () => ({ view: snapshotView(snapshot), registered: true }),
              policy: { logger: { warn: () => undefined } },
          })
        : undefined;
    return proxyTransport(url, { verifier, plainHttp: plainHttp && snapshot.isTestNetwork });
}

export interface SendResult {
    response: InferResponse;
    receiptValid: boolean;
    reason?: string;
}

export async function sendDemoRequest(o: SendOptions): Promise<SendResult> {
    const proxy = snapshotTransport(o.url, o.snapshot, o.plainHttp);
    const listed = (await requestJson<{ models: { hash: string; name: string }[] }>(proxy, 'GET', '/v1/models')).models;
    const model = listed.find((m) => m.name === o.model || m.hash === o.model.toLowerCase());
    if (!model)
        throw new Error(`the proxy serves no model '${o.model}' (it serves ${listed.map((m) => m.name).join(', ')})`);
    let inputs = o.inputs;
    if (!inputs) {
        if (!DEVNET_MODEL_NAMES.includes(model.name as DevnetModelName)) {
            throw new Error(`no demo inputs for '${model.name}': pass --input`);
        }
        inputs = demoInputs(model.name as DevnetModelName, o.n ?? 0);
    }
    const request: InferenceRequest = {
        requestId: randomBytes(32).toString('hex'),
        model: model.hash,
        inputs: toWireMap(inputs),
        account: Address.parse(o.account).toString(),
        validUntil: Math.floor(Date.now() / 1000) + 300, // the devnet's chain clock follows the wall clock
    };
    const signed = signRequest(request, (await devnetMnemonicKeyPair(o.seed ?? 'devnet', 'client')).secretKey);
    const response = await postSigned<InferResponse>(proxy, '/v1/infer', signed);
    const announcement = await requestJson<{ announcement: SignedAnnouncement }>(
        proxy,
        'GET',
        `/v1/workers/${response.receipt.workerKey}`,
    ).then(
        (r) => r.announcement,
        () => undefined,
    );
    const bundle = { request, outputs: response.outputs, receipt: response.receipt, announcement };
    const check = await checkReceiptBundle(bundle, o.snapshot, { logger: { warn: () => undefined } });
    return check.ok ? { response, receiptValid: true } : { response, receiptValid: false, reason: check.reason };
}

if (require.main === module) {
    const { values } = parseArgs({
        options: {
            url: { type: 'string', default: 'https://127.0.0.1:8080' },
            'plain-http': { type: 'boolean', default: false },
            account: { type: 'string' },
            model: { type: 'string', default: 'tiny-mlp' },
            input: { type: 'string' },
            n: { type: 'string', default: '0' },
            seed: { type: 'string', default: 'devnet' },
            snapshot: { type: 'string' },
        },
    });
    if (!values.account || !values.snapshot) {
        console.error(
            '--account and --snapshot are required: the account address and snapshot file the devnet printed',
        );
        process.exit(2);
    }
    sendDemoRequest({
        url: values.url!,
        account: values.account,
        model: values.model!,
        inputs: values.input ? (JSON.parse(readFileSync(values.input, 'utf8')) as Record<string, unknown>) : undefined,
        n: Number(values.n),
        seed: values.seed,
        plainHttp: values['plain-http'],
        snapshot: JSON.parse(readFileSync(values.snapshot, 'utf8')) as SavedRegistrySnapshot,
    })
        .then(({ response, receiptValid, reason }) => {
            console.log(JSON.stringify(response, null, 2));
            console.log(
                receiptValid
                    ? 'receipt: valid (hashes, signature, staked and attested worker)'
                    : `receipt: INVALID: ${reason}`,
            );
            process.exit(receiptValid ? 0 : 1);
        })
        .catch((err) => {
            console.error((err as Error).message);
            process.exit(1);
        });
}
