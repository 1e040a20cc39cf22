import { X509Certificate } from 'node:crypto';
import { SealpostError } from '../errors.ts';

/** Who a certificate names, for logs, stores and the CLI. */
export interface CertificateDescription {
  /** Subject attributes in the order the certificate encodes them, joined by `", "`. */
  readonly subject: string;
  /** Issuer attributes, joined the same way. */
  readonly issuer: string;
  /** Subject alternative names as Node prints them (`DNS:a, URI:b`), if any. */
  readonly subjectAltName?: string;
  /** SHA-256 of the DER, lower-case hex. */
  readonly fingerprint: string;
  /** Serial number, upper-case hex. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Describes a DER certificate.
 *
 * @example
 * ```ts
 * const { subject, fingerprint } = describeCertificate(message.certificates[0])
 * ```
 */
export function describeCertificate(der: Uint8Array): CertificateDescription {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch (cause) {
    throw new SealpostError('CERT_INVALID', 'not an X.509 certificate', { cause });
  }
  return {
    subject: certificate.subject.split('\n').join(', '),
    issuer: certificate.issuer.split('\n').join(', '),
    ...(certificate.subjectAltName ? { subjectAltName: certificate.subjectAltName } : {}),
    fingerprint: certificate.fingerprint256.replaceAll(':', '').toLowerCase(),
    serialNumber: certificate.serialNumber,
    notBefore: certificate.validFromDate,
    notAfter: certificate.validToDate,
  };
}
