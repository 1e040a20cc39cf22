import { X509Certificate } from 'node:crypto';
import { signingHash } from '../algorithms.ts';
import { SealpostError, needs } from '../errors.ts';
import { ecdsaVerify } from '../keys/local/ecdsa.ts';
import { localKeyId, signingAlgorithmOf } from '../keys/local/key-objects.ts';
import type { SigningAlgorithm, TrustStore, TrustedSender } from '../keys/types.ts';
import { parseCertificateChain } from './chain.ts';
import type { CrlSource } from './crl.ts';
import { parseCertificate, validateChain, type CertificateConstraints, type ParsedAnchor } from './validate.ts';

/** Options for {@link createCertificateTrustStore}. */
export interface CertificateTrustOptions {
  /** Trust anchors: CA certificates as PEM text (one or several per string) or DER. */
  readonly anchors: readonly (string | Uint8Array)[];
  /** Where the current CRLs come from; none means revocation is not checked. */
  readonly crls?: readonly CrlSource[];
  /** Requirements on the leaf beyond a valid chain. */
  readonly constraints?: CertificateConstraints;
}

/** A local key id: base64url SHA-256 of an SPKI, 43 characters. KMS key ids are ARNs. */
const LOCAL_KEY_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * A {@link TrustStore} that accepts any sender whose certificate chain, carried in the message,
 * leads to one of `anchors` (validated by pkijs as of the message's creation time, against the
 * current CRLs) and whose leaf certifies the key that signed. The sender's algorithm comes from
 * the leaf's key, and the signature is verified locally with that key: no KMS call, no list of
 * keys to update when a sender rotates.
 *
 * @example
 * ```ts
 * const trust = combineTrustStores(
 *   createTrustStore([createLocalTrustedSender(partnerPem)]),
 *   createCertificateTrustStore({ anchors: [await readFile('ca/root.pem', 'utf8')] }),
 * )
 * ```
 */
export function createCertificateTrustStore(options: CertificateTrustOptions): TrustStore {
  const anchors: ParsedAnchor[] = options.anchors.flatMap((input, i) =>
    parseCertificateChain(input).map((der) => ({ der, certificate: parseCertificate(der, 'CONFIG_INVALID', `trust anchor ${i + 1}`) })),
  );
  if (anchors.length === 0) throw new SealpostError('CONFIG_INVALID', 'at least one trust anchor is required');
  for (const { der } of anchors) {
    if (!new X509Certificate(der).ca) throw new SealpostError('CONFIG_INVALID', `trust anchor ${new X509Certificate(der).subject.split('\n').join(', ')} is not a CA certificate`);
  }
  const sources = options.crls ?? [];
  return {
    async sender(keyId, evidence) {
      if (!evidence || evidence.certificates.length === 0) return undefined;
      const crls = (await Promise.all(sources.map((s) => s.current()))).flat();
      const certified = await validateChain(evidence.certificates, anchors, crls, evidence.created, options.constraints);
      let algorithm: SigningAlgorithm;
      try {
        algorithm = signingAlgorithmOf(certified.publicKey);
      } catch (cause) {
        throw new SealpostError('CERT_KEY_MISMATCH', 'the sender certificate does not certify an ECDSA signing key', { cause });
      }
      // A local key id names one public key; a KMS ARN does not, and the signature check with the leaf's key decides.
      if (LOCAL_KEY_ID.test(keyId)) {
        needs(localKeyId(certified.publicKey) === keyId, 'CERT_KEY_MISMATCH', `the sender certificate certifies key ${localKeyId(certified.publicKey)}, the message was signed by ${keyId}`);
      }
      const hash = signingHash(algorithm);
      const sender: TrustedSender = {
        keyId,
        algorithm,
        label: certified.subject,
        certificate: { subject: certified.subject, fingerprint: certified.fingerprint, ...(certified.subjectAltName ? { subjectAltName: certified.subjectAltName } : {}) },
        verifier: { verify: (_id, _alg, data, signature) => ecdsaVerify(hash, data, certified.publicKey, signature) },
      };
      return sender;
    },
  };
}
