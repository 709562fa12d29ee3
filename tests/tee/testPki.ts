/**
 * A throw-away ECDSA P-256 PKI built with @peculiar/asn1-x509 and node:crypto, for what the real test vectors
 * cannot show: a revoked certificate (Intel's CRLs list none of the vectors' certificates).
 */
import { createPrivateKey, generateKeyPairSync, KeyObject, sign, X509Certificate } from 'node:crypto';
import { AsnParser, AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import {
    AlgorithmIdentifier,
    AttributeTypeAndValue,
    AttributeValue,
    BasicConstraints,
    Certificate,
    CertificateList,
    Extension,
    Extensions,
    id_ce_basicConstraints,
    Name,
    RelativeDistinguishedName,
    RevokedCertificate,
    SubjectPublicKeyInfo,
    TBSCertificate,
    TBSCertList,
    Time,
    Validity,
    Version,
} from '@peculiar/asn1-x509';

const ECDSA_WITH_SHA256 = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });

function name(cn: string): Name {
    return new Name([
        new RelativeDistinguishedName([
            new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: cn }) }),
        ]),
    ]);
}

export interface TestCertificate {
    cert: X509Certificate;
    key: KeyObject;
    serial: Buffer;
}

export function issueCertificate(options: {
    subject: string;
    issuer?: TestCertificate;
    ca: boolean;
    serial: number;
    notBefore?: Date;
    notAfter?: Date;
    /** Extra extensions (e.g. the Intel SGX extension of a PCK certificate). */
    extensions?: Extension[];
}): TestCertificate {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const serial = Buffer.from([options.serial]);
    const issuerName = options.issuer
        ? AsnParser.parse(options.issuer.cert.raw, Certificate).tbsCertificate.subject
        : name(options.subject);
    const tbs = new TBSCertificate({
        version: Version.v3,
        serialNumber: serial.buffer.slice(serial.byteOffset, serial.byteOffset + 1) as ArrayBuffer,
        signature: ECDSA_WITH_SHA256,
        issuer: issuerName,
        validity: new Validity({
            notBefore: options.notBefore ?? new Date('2020-01-01'),
            notAfter: options.notAfter ?? new Date('2040-01-01'),
        }),
        subject: name(options.subject),
        subjectPublicKeyInfo: AsnParser.parse(publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo),
        extensions: new Extensions([
            new Extension({
                extnID: id_ce_basicConstraints,
                critical: true,
                extnValue: new OctetString(AsnSerializer.serialize(new BasicConstraints({ cA: options.ca }))),
            }),
            ...(options.extensions ?? []),
        ]),
    });
    const signingKey = options.issuer?.key ?? privateKey;
    const signature = sign('sha256', Buffer.from(AsnSerializer.serialize(tbs)), signingKey);
    const der = AsnSerializer.serialize(
        new Certificate({
            tbsCertificate: tbs,
            signatureAlgorithm: ECDSA_WITH_SHA256,
            signatureValue: new Uint8Array(signature).buffer,
        }),
    );
    return {
        cert: new X509Certificate(Buffer.from(der)),
        key: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })),
        serial,
    };
}

export function issueCrl(
    issuer: TestCertificate,
    revoked: TestCertificate[],
    thisUpdate: Date,
    nextUpdate: Date,
): Buffer {
    const tbs = new TBSCertList({
        version: Version.v2,
        signature: ECDSA_WITH_SHA256,
        issuer: AsnParser.parse(issuer.cert.raw, Certificate).tbsCertificate.subject,
        thisUpdate: new Time(thisUpdate),
        nextUpdate: new Time(nextUpdate),
        revokedCertificates: revoked.length
            ? revoked.map(
                  (r) =>
                      new RevokedCertificate({
                          userCertificate: new Uint8Array(r.serial).buffer,
                          revocationDate: new Time(thisUpdate),
                      }),
              )
            : undefined,
    });
    const signature = sign('sha256', Buffer.from(AsnSerializer.serialize(tbs)), issuer.key);
    return Buffer.from(
        AsnSerializer.serialize(
            new CertificateList({
                tbsCertList: tbs,
                signatureAlgorithm: ECDSA_WITH_SHA256,
                signature: new Uint8Array(signature).buffer,
            }),
        ),
    );
}
