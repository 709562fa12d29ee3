/**
 * `chrysalis attest verify <file> [--at <ISO time>] [--json] [--root <pem>]... [--crl <file>]...
 *     [--collateral <dir> | --pccs <url>]`
 * `chrysalis attest image-hash <file> [--json]` (or `--simulated`: the simulated TEE's, which the devnet allows)
 * `chrysalis attest quote (--key <seed file> | --public-key <hex>) [--nonce <hex>] [--out <file>] [--json]
 *     [--tsm <configfs-tsm report dir>] [--tsm-entry <name>]`
 *
 * `quote` runs on the TDX guest (configfs-tsm, tee/tdxProvider.ts): it writes the attestation document binding the key
 * (report_data = SHA-512(public key ‖ nonce)) and prints the image hash that `allowWorkerImage` / `allowProxyImage`
 * take.
 *
 * Reads a quote in binary, hex (optional 0x), base64, or an attestation document ({"kind","quote"}).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { keyPairFromSeed } from '@ton/crypto';
import {
    attest,
    AttestationError,
    Collateral,
    createProvider,
    encodeDocument,
    createPccsSource,
    decodeCertificates,
    decodeDocument,
    DEFAULT_CONFIGFS_TSM_REPORT,
    evaluateTcb,
    imageHash,
    isDebugTd,
    INTEL_SGX_ROOT_CA,
    parseQuote,
    pckIssuingCa,
    PckCrlCa,
    readPckExtensions,
    TdReport,
    verifyCollateral,
    verifyQuote,
    verifySimulatedQuote,
    SIMULATED_MEASUREMENTS,
} from '../tee';

const USAGE = `usage:
  chrysalis attest verify <file> [--at <ISO time>] [--json] [--root <pem file>]... [--crl <file>]...
                          [--collateral <dir> | --pccs <url>]
  chrysalis attest image-hash <file> [--json]
  chrysalis attest image-hash --simulated [--json]
  chrysalis attest quote (--key <seed file> | --public-key <hex>) [--nonce <hex>] [--out <file>] [--json]
                         [--tsm <configfs-tsm report dir>] [--tsm-entry <name>]

quote makes a TDX quote on this TDX guest through configfs-tsm (default ${'$'}{DEFAULT_TSM}) over the key
(the seed file of chrysalis keys new, or a public key), writes the attestation document to --out (default
attestation.json) and prints the image hash to allow in the registry (allowWorkerImage / allowProxyImage --image).
<file> holds a quote as binary, hex (optional 0x), base64, or an attestation document {"kind","quote"}.
--collateral <dir> reads tcbInfo.json, qeIdentity.json and tcbSignChain.pem (as served by a PCCS); the quote is then
valid only with TCB status UpToDate.
--pccs <url> fetches the TCB info and QE identity for the quote's FMSPC, the root CA CRL and the CRL of the PCK CA
that issued its PCK certificate, from a PCCS or Intel
PCS (DCAP API v4, e.g. https://api.trustedservices.intel.com).`;

interface Input {
    kind: 'tdx' | 'simulated';
    bytes: Buffer;
}

/** Decodes the file: text that is entirely hex is hex, a JSON object is a document, other text is base64. */
export function decodeQuoteFile(raw: Buffer): Input {
    const isText =
        raw.length > 0 && raw.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09);
    if (!isText) return { kind: 'tdx', bytes: raw };
    const text = raw.toString('ascii').trim();
    if (text.startsWith('{')) {
        const doc = decodeDocument(text);
        return { kind: doc.kind, bytes: doc.bytes };
    }
    const compact = text.replace(/\s+/g, '');
    const hex = compact.replace(/^0x/i, '');
    if (/^[0-9a-fA-F]+$/.test(hex) && hex.length % 2 === 0) return { kind: 'tdx', bytes: Buffer.from(hex, 'hex') };
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact) && compact.length % 4 === 0) {
        return { kind: 'tdx', bytes: Buffer.from(compact, 'base64') };
    }
    throw new AttestationError('malformed', 'input is text but neither hex nor base64');
}

function readCollateral(dir: string): Collateral {
    const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
    return {
        tcbInfoJson: read('tcbInfo.json'),
        qeIdentityJson: read('qeIdentity.json'),
        tcbSigningChainPem: read('tcbSignChain.pem'),
    };
}

/**
 * The FMSPC of the quote's PCK certificate and the PCK CA that issued it, read before verification to know which
 * collateral and which PCK CA CRL to fetch.
 */
function quotePck(input: Input): { fmspc: string; ca?: PckCrlCa } | undefined {
    if (input.kind !== 'tdx') return undefined;
    try {
        const certs = decodeCertificates(parseQuote(input.bytes).certData);
        for (const cert of certs) {
            try {
                return { fmspc: readPckExtensions(cert).fmspc, ca: pckIssuingCa(cert) };
            } catch {
                // Not the PCK leaf: CA certificates carry no SGX extensions.
            }
        }
    } catch {
        // A quote that does not parse is reported by the verification itself.
    }
    return undefined;
}

async function fetchFromPccs(input: Input, baseUrl: string): Promise<{ collateral?: Collateral; crls: Buffer[] }> {
    const pck = quotePck(input);
    if (!pck) return { crls: [] };
    const pccs = createPccsSource({ baseUrl, pckCrls: pck.ca ? [pck.ca] : undefined });
    const [collateral, crls] = await Promise.all([pccs.forFmspc(pck.fmspc), pccs.crls()]);
    return { collateral, crls };
}

interface Report {
    valid: boolean;
    kind: 'tdx' | 'simulated' | null;
    version: number | null;
    teeType: number | null;
    bodyType: string | null;
    mrTd: string | null;
    rtmr0: string | null;
    rtmr1: string | null;
    rtmr2: string | null;
    rtmr3: string | null;
    reportData: string | null;
    debug: boolean | null;
    fmspc: string | null;
    pcesvn: number | null;
    tcbStatus: string | null;
    imageHash: string | null;
    error: string | null;
}

function emptyReport(): Report {
    return {
        valid: false,
        kind: null,
        version: null,
        teeType: null,
        bodyType: null,
        mrTd: null,
        rtmr0: null,
        rtmr1: null,
        rtmr2: null,
        rtmr3: null,
        reportData: null,
        debug: null,
        fmspc: null,
        pcesvn: null,
        tcbStatus: null,
        imageHash: null,
        error: null,
    };
}

function fillBody(report: Report, body: TdReport): void {
    report.mrTd = body.mrTd.toString('hex');
    report.rtmr0 = body.rtmr0.toString('hex');
    report.rtmr1 = body.rtmr1.toString('hex');
    report.rtmr2 = body.rtmr2.toString('hex');
    report.rtmr3 = body.rtmr3.toString('hex');
    report.reportData = body.reportData.toString('hex');
    report.debug = (body.tdAttributes[0] & 1) === 1;
    report.imageHash = imageHash(body).toString('hex');
}

function check(
    input: Input,
    options: { at: Date; roots?: string[]; crls?: Buffer[]; collateral?: Collateral },
): Report {
    const report = emptyReport();
    report.kind = input.kind;
    try {
        if (input.kind === 'simulated') {
            fillBody(report, verifySimulatedQuote(input.bytes).body);
            throw new AttestationError(
                'policy',
                'simulated quote (software-signed, no TEE): peers accept it only on test networks',
            );
        }
        const quote = parseQuote(input.bytes);
        report.version = quote.header.version;
        report.teeType = quote.header.teeType;
        report.bodyType = quote.bodyType;
        fillBody(report, quote.body);
        const verified = verifyQuote(quote, { at: options.at, roots: options.roots, crls: options.crls });
        report.fmspc = verified.pck.fmspc;
        report.pcesvn = verified.pck.pceSvn;
        if (options.collateral) {
            const roots = options.roots ?? [INTEL_SGX_ROOT_CA];
            const { tcbInfo, qeIdentity } = verifyCollateral(options.collateral, {
                roots,
                at: options.at,
                crls: options.crls,
            });
            const tcb = evaluateTcb(quote, verified.pck, tcbInfo, qeIdentity);
            report.tcbStatus = tcb.status;
            if (tcb.status !== 'UpToDate')
                throw new AttestationError('policy', `TCB status ${tcb.status} is not UpToDate`);
        }
        report.valid = true;
    } catch (err) {
        report.error = err instanceof AttestationError ? `${err.code}: ${err.message}` : (err as Error).message;
    }
    return report;
}

function printReport(report: Report): void {
    const lines: [string, unknown][] = [
        ['kind', report.kind],
        ['version', report.version],
        ['tee type', report.teeType === null ? null : `0x${report.teeType.toString(16)}`],
        ['body', report.bodyType],
        ['MRTD', report.mrTd],
        ['RTMR0', report.rtmr0],
        ['RTMR1', report.rtmr1],
        ['RTMR2', report.rtmr2],
        ['RTMR3', report.rtmr3],
        ['report_data', report.reportData],
        ['debug', report.debug],
        ['FMSPC', report.fmspc],
        ['PCESVN', report.pcesvn],
        ['TCB status', report.tcbStatus ?? (report.valid ? 'not evaluated (no collateral)' : null)],
        ['image hash', report.imageHash],
    ];
    for (const [name, value] of lines)
        if (value !== null) process.stdout.write(`${name.padEnd(12)} ${String(value)}\n`);
    process.stdout.write(report.valid ? 'verdict      VALID\n' : `verdict      INVALID: ${report.error}\n`);
}

function hexBytes(name: string, text: string, length?: number): Buffer {
    const hex = text.trim().replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 || (length !== undefined && hex.length !== length * 2)) {
        throw new Error(`${name}: expected ${length === undefined ? '' : `${length} bytes of `}hex, got "${text}"`);
    }
    return Buffer.from(hex, 'hex');
}

/** `attest quote`: a quote from configfs-tsm over the key, saved as a document; prints its image hash. */
async function quote(argv: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
            key: { type: 'string' },
            'public-key': { type: 'string' },
            nonce: { type: 'string' },
            out: { type: 'string', default: 'attestation.json' },
            json: { type: 'boolean', default: false },
            tsm: { type: 'string' },
            'tsm-entry': { type: 'string' },
        },
    });
    if (positionals.length || (values.key === undefined) === (values['public-key'] === undefined)) {
        process.stderr.write(`attest quote needs --key <seed file> or --public-key <hex>\n\n${USAGE}\n`);
        return 2;
    }
    const publicKey =
        values.key !== undefined
            ? Buffer.from(
                  keyPairFromSeed(hexBytes(`--key ${values.key}`, fs.readFileSync(values.key, 'utf8'), 32)).publicKey,
              )
            : hexBytes('--public-key', values['public-key']!, 32);
    const nonce = values.nonce === undefined ? undefined : hexBytes('--nonce', values.nonce);
    const provider = createProvider({ kind: 'tdx', reportDir: values.tsm, entryName: values['tsm-entry'] });
    const doc = await attest(provider, publicKey, nonce);
    fs.writeFileSync(values.out, `${encodeDocument(doc)}\n`);
    const body = parseQuote(Buffer.from(doc.quote, 'base64')).body;
    const hash = imageHash(body).toString('hex');
    const facts = {
        imageHash: hash,
        publicKey: publicKey.toString('hex'),
        document: values.out,
        mrTd: body.mrTd.toString('hex'),
        debug: isDebugTd(body),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(facts)}\n`);
    else
        process.stdout.write(
            `image hash   ${hash}\npublic key   ${facts.publicKey}\ndocument     ${values.out}\n` +
                `MRTD         ${facts.mrTd}\ndebug        ${facts.debug}\n` +
                `allow it:    npx blueprint run allowWorkerImage --testnet --tonconnect -- --registry <addr> --image ${hash}\n`,
        );
    return 0;
}

export async function run(argv: string[]): Promise<number> {
    const [command, ...rest] = argv;
    if (command === 'quote') return quote(rest);
    if (command !== 'verify' && command !== 'image-hash') {
        process.stderr.write(`${USAGE}\n`);
        return command === undefined || command === '--help' ? 0 : 2;
    }
    const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
            at: { type: 'string' },
            json: { type: 'boolean', default: false },
            root: { type: 'string', multiple: true },
            crl: { type: 'string', multiple: true },
            collateral: { type: 'string' },
            pccs: { type: 'string' },
            simulated: { type: 'boolean', default: false },
        },
    });
    const printHash = (hash: string) =>
        process.stdout.write(
            values.json
                ? `${JSON.stringify({ imageHash: hash, imageHashDecimal: BigInt('0x' + hash).toString() })}\n`
                : `${hash}\n`,
        );
    if (command === 'image-hash' && values.simulated && positionals.length === 0) {
        // The image of the simulated TEE (software quotes): what a test network's registry allows for it (devnet).
        printHash(imageHash(SIMULATED_MEASUREMENTS).toString('hex'));
        return 0;
    }
    if (positionals.length !== 1 || (values.collateral !== undefined && values.pccs !== undefined)) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    const at = values.at === undefined ? new Date() : new Date(values.at);
    if (Number.isNaN(at.getTime())) throw new Error(`--at "${values.at}" is not an ISO time`);
    const input = decodeQuoteFile(fs.readFileSync(positionals[0]));

    if (command === 'image-hash') {
        const body = input.kind === 'simulated' ? verifySimulatedQuote(input.bytes).body : parseQuote(input.bytes).body;
        printHash(imageHash(body).toString('hex'));
        return 0;
    }
    const fromPccs = values.pccs === undefined ? undefined : await fetchFromPccs(input, values.pccs);
    const crls = values.crl?.map((f) => fs.readFileSync(f));
    const report = check(input, {
        at,
        roots: values.root?.map((f) => fs.readFileSync(f, 'utf8')),
        crls: fromPccs ? [...(crls ?? []), ...fromPccs.crls] : crls,
        collateral: values.collateral ? readCollateral(values.collateral) : fromPccs?.collateral,
    });
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else printReport(report);
    return report.valid ? 0 : 1;
}
