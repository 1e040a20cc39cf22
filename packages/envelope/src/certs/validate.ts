import { X509Certificate as NodeCertificate, type KeyObject } from 'node:crypto';
import { BasicConstraints, Certificate, CertificateChainValidationEngine, CertificatePolicies, CertificateRevocationList, ExtKeyUsage, id_CertificatePolicies, id_ExtKeyUsage, id_KeyUsage } from 'pkijs';
import { SealpostError, needs, type ErrorCode } from '../errors.ts';

/** Requirements a deployment places on its senders' leaf certificates, beyond a valid chain. */
export interface CertificateConstraints {
  /**
   * The leaf's exact subject: its attributes in the order the certificate encodes them, joined
   * by `", "`, as Node's `X509Certificate.subject` lists them (`"C=DE, O=Example, CN=orders"`;
   * `openssl x509 -noout -subject -nameopt oneline,-space_eq,sep_comma_plus_space` prints the same).
   */
  readonly subject?: string;
  /** A subject alternative name the leaf must carry, written as `DNS:host`, `URI:uri` or `email:address`. */
  readonly subjectAltName?: string;
  /** An extended key usage OID the leaf must list, e.g. `1.3.6.1.5.5.7.3.3` (code signing). */
  readonly extendedKeyUsage?: string;
  /** A certificate policy OID the leaf must list. */
  readonly policy?: string;
}

/** A parsed trust anchor or CRL, ready for validation. */
export interface ParsedAnchor {
  readonly certificate: Certificate;
  readonly der: Uint8Array;
}

/** The sender a valid chain certifies. */
export interface CertifiedSender {
  /** The leaf's public key: the key that must have made the signature. */
  readonly publicKey: KeyObject;
  /** The leaf's subject, attributes in certificate order joined by `", "`. */
  readonly subject: string;
  /** The leaf's subject alternative names, as Node prints them (`DNS:a, URI:b`), if any. */
  readonly subjectAltName?: string;
  /** SHA-256 fingerprint of the leaf's DER, lower-case hex. */
  readonly fingerprint: string;
}

/** Parses a DER certificate with pkijs; `code` is what a failure reports. */
export function parseCertificate(der: Uint8Array, code: ErrorCode, what: string): Certificate {
  try {
    return Certificate.fromBER(der);
  } catch (cause) {
    throw new SealpostError(code, `${what} is not an X.509 certificate`, { cause });
  }
}

/** Parses a DER CRL with pkijs; `code` is what a failure reports. */
export function parseCrl(der: Uint8Array, code: ErrorCode, what: string): CertificateRevocationList {
  try {
    return CertificateRevocationList.fromBER(der);
  } catch (cause) {
    throw new SealpostError(code, `${what} is not an X.509 CRL`, { cause });
  }
}

/** pkijs result codes (CertificateChainValidationEngine) and what each means for a sender. */
const RESULT_CODES: Readonly<Record<number, ErrorCode>> = {
  3: 'CERT_NOT_CA',
  4: 'CERT_NOT_CA',
  5: 'CERT_NOT_CA',
  6: 'CERT_INVALID',
  7: 'CERT_NOT_CA',
  9: 'CERT_UNTRUSTED',
  10: 'CERT_UNTRUSTED',
  11: 'CERT_REVOCATION_UNKNOWN',
  12: 'CERT_REVOKED',
  13: 'CERT_REVOCATION_UNKNOWN',
  14: 'CERT_NOT_CA',
  // Policy processing and name constraints.
  21: 'CERT_NOT_PERMITTED',
  41: 'CERT_NOT_PERMITTED',
  42: 'CERT_NOT_PERMITTED',
  98: 'CERT_NOT_PERMITTED',
  99: 'CERT_NOT_PERMITTED',
  60: 'CERT_UNTRUSTED',
  97: 'CERT_UNTRUSTED',
};

/**
 * Validates a sender's chain (DER, leaf first) as of `at`: pkijs builds the path from the leaf
 * through the chain's certificates to one of `anchors` and checks it (signatures, name chaining,
 * validity of every certificate at `at`, revocation against `crls`, CA rights of every issuer,
 * policy and name constraints); then the leaf must allow digitalSignature and meet the
 * `constraints`. Rejects with a permanent `CERT_*` error.
 */
export async function validateChain(
  chain: readonly Uint8Array[],
  anchors: readonly ParsedAnchor[],
  crls: readonly CertificateRevocationList[],
  at: Date,
  constraints: CertificateConstraints = {},
): Promise<CertifiedSender> {
  needs(chain.length > 0, 'CERT_UNTRUSTED', 'the message carries no certificate');
  const certificates = chain.map((der, i) => parseCertificate(der, 'CERT_INVALID', `certificate ${i} of the sender chain`));
  const leaf = certificates[0]!;
  const engine = new CertificateChainValidationEngine({
    trustedCerts: anchors.map((a) => a.certificate),
    // pkijs takes the last certificate as the one to validate.
    certs: [...certificates.slice(1), leaf],
    crls: [...crls],
    checkDate: at,
  });
  const result = await engine.verify({ passedWhenNotRevValues: true });
  if (!result.result) {
    const code = result.resultCode === 8 ? validityCode([...certificates, ...anchors.map((a) => a.certificate)], at) : (RESULT_CODES[result.resultCode] ?? 'CERT_UNTRUSTED');
    throw new SealpostError(code, `the sender certificate chain was rejected: ${result.resultMessage}`);
  }
  checkLeafUsage(leaf);
  const node = new NodeCertificate(chain[0]!);
  const subject = node.subject.split('\n').join(', ');
  checkConstraints(leaf, node, subject, constraints);
  return {
    publicKey: node.publicKey,
    subject,
    ...(node.subjectAltName ? { subjectAltName: node.subjectAltName } : {}),
    fingerprint: node.fingerprint256.replaceAll(':', '').toLowerCase(),
  };
}

function validityCode(certificates: readonly Certificate[], at: Date): ErrorCode {
  return certificates.some((c) => c.notBefore.value > at) ? 'CERT_NOT_YET_VALID' : 'CERT_EXPIRED';
}

function extension(certificate: Certificate, oid: string) {
  return certificate.extensions?.find((e) => e.extnID === oid);
}

/** The leaf must allow digitalSignature when it restricts its key usage (RFC 5280 4.2.1.3), and must not be a CA. */
function checkLeafUsage(leaf: Certificate): void {
  const keyUsage = extension(leaf, id_KeyUsage);
  if (keyUsage) {
    // KeyUsage is a BIT STRING whose first bit (0x80 of the first byte) is digitalSignature.
    const bits = (keyUsage.parsedValue as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView;
    needs(bits.length > 0 && (bits[0]! & 0x80) !== 0, 'CERT_USAGE', 'the sender certificate does not allow digitalSignature');
  }
  const basic = extension(leaf, '2.5.29.19')?.parsedValue as BasicConstraints | undefined;
  needs(!basic?.cA, 'CERT_USAGE', 'the sender certificate is a CA certificate, not an end-entity certificate');
}

function checkConstraints(leaf: Certificate, node: NodeCertificate, subject: string, constraints: CertificateConstraints): void {
  if (constraints.subject !== undefined) {
    needs(subject === constraints.subject, 'CERT_NOT_PERMITTED', `the sender certificate subject is ${JSON.stringify(subject)}, ${JSON.stringify(constraints.subject)} is required`);
  }
  if (constraints.subjectAltName !== undefined) {
    const names = (node.subjectAltName ?? '').split(', ').filter(Boolean);
    needs(names.includes(constraints.subjectAltName), 'CERT_NOT_PERMITTED', `the sender certificate does not name ${constraints.subjectAltName}`);
  }
  if (constraints.extendedKeyUsage !== undefined) {
    const usages = (extension(leaf, id_ExtKeyUsage)?.parsedValue as ExtKeyUsage | undefined)?.keyPurposes ?? [];
    needs(usages.includes(constraints.extendedKeyUsage), 'CERT_NOT_PERMITTED', `the sender certificate does not list extended key usage ${constraints.extendedKeyUsage}`);
  }
  if (constraints.policy !== undefined) {
    const policies = (extension(leaf, id_CertificatePolicies)?.parsedValue as CertificatePolicies | undefined)?.certificatePolicies.map((p) => p.policyIdentifier) ?? [];
    needs(policies.includes(constraints.policy), 'CERT_NOT_PERMITTED', `the sender certificate does not list policy ${constraints.policy}`);
  }
}
