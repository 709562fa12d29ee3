/**
 * One GET against a PCCS or Intel PCS with Node's built-in fetch: a hard timeout, the optional Intel subscription
 * key, and errors that always name the URL (a PCCS outage must read as one, not as a bad quote).
 */

/** Header Intel PCS reads the subscription key from; a PCCS ignores it. */
export const PCS_API_KEY_HEADER = 'Ocp-Apim-Subscription-Key';

export class PccsError extends Error {
    constructor(
        readonly url: string,
        message: string,
        /** HTTP status when the server answered. */
        readonly status?: number,
    ) {
        super(`${message} (GET ${url})`);
        this.name = 'PccsError';
    }
}

export interface PccsRequestOptions {
    timeoutMs: number;
    apiKey?: string;
}

export interface PccsResponse {
    url: string;
    body: Buffer;
    headers: Headers;
}

export async function pccsGet(url: string, options: PccsRequestOptions): Promise<PccsResponse> {
    const headers: Record<string, string> = {};
    if (options.apiKey) headers[PCS_API_KEY_HEADER] = options.apiKey;
    // One signal covers the whole exchange, body included: a server that stalls mid-body must time out too.
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
        const response = await fetch(url, { headers, signal, redirect: 'follow' });
        const body = Buffer.from(await response.arrayBuffer());
        if (!response.ok) {
            const detail = response.headers.get('Error-Message') ?? body.toString('utf8').slice(0, 200).trim();
            throw new PccsError(
                url,
                `PCCS answered HTTP ${response.status} ${response.statusText}${detail ? `: ${detail}` : ''}`,
                response.status,
            );
        }
        return { url, body, headers: response.headers };
    } catch (err) {
        if (err instanceof PccsError) throw err;
        const e = err as Error & { cause?: Error };
        if (e.name === 'TimeoutError' || signal.aborted) {
            throw new PccsError(url, `PCCS did not answer within ${options.timeoutMs} ms`);
        }
        throw new PccsError(url, `PCCS request failed: ${e.cause?.message ?? e.message}`);
    }
}

/** Reads a header holding a URL-encoded PEM certificate chain (as Intel PCS and PCCS send issuer chains). */
export function issuerChainHeader(response: PccsResponse, ...names: string[]): string {
    for (const name of names) {
        const value = response.headers.get(name);
        if (value === null) continue;
        let pem: string;
        try {
            pem = decodeURIComponent(value);
        } catch {
            throw new PccsError(response.url, `header ${name} is not URL-encoded`);
        }
        if (!pem.includes('-----BEGIN CERTIFICATE-----'))
            throw new PccsError(response.url, `header ${name} holds no PEM certificate`);
        return pem;
    }
    throw new PccsError(response.url, `response lacks the ${names[0]} header`);
}

/** Parses a JSON body and checks it is an object holding `key` and a `signature`; returns the exact text. */
export function signedJsonBody(response: PccsResponse, key: string): { text: string; value: Record<string, unknown> } {
    const text = response.body.toString('utf8');
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (err) {
        throw new PccsError(response.url, `body is not JSON: ${(err as Error).message}`);
    }
    const record = parsed as Record<string, unknown> | null;
    if (typeof record !== 'object' || record === null || typeof record[key] !== 'object' || record[key] === null) {
        throw new PccsError(response.url, `body has no "${key}" object`);
    }
    if (typeof record.signature !== 'string') throw new PccsError(response.url, 'body has no "signature"');
    return { text, value: record[key] as Record<string, unknown> };
}
