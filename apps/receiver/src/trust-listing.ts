import { readFile } from 'node:fs/promises';
import { SealpostError, describeCertificate, parseCertificateChain, type SigningAlgorithm } from '@sealpost/envelope';
import { resolveCertificateTrust, resolveTrustedSenders } from '@sealpost/key-refs';
import { certificateTrustRefs, type TrustSettings } from './opener-from-config.ts';

/** The settings {@link describeTrust} reads: every one that decides whom a receiver trusts. */
export const TRUST_SETTINGS = ['trust', 'trustCa', 'crl', 'crlRefresh', 'crlMaxStale', 'requireSubject', 'requireSan', 'requireEku', 'requirePolicy', 'kmsVerify'] as const satisfies readonly (keyof TrustSettings)[];

/** Whom a configuration trusts, as `sealpost keys trusted` prints it. */
export interface TrustListing {
  /** Each trusted sender key: its id as manifests carry it, its algorithm, and the reference it came from. */
  readonly senders: readonly { readonly keyId: string; readonly algorithm: SigningAlgorithm; readonly source: string }[];
  /** Each trusted CA certificate (anchor), from the files of SEALPOST_TRUST_CA. */
  readonly certificateAuthorities: readonly { readonly subject: string; readonly fingerprint: string; readonly notAfter: string; readonly source: string }[];
  /** CRL files and URLs checked for certified senders. */
  readonly crls: readonly string[];
  /** What a certified sender's leaf must carry beyond chaining to an anchor. */
  readonly constraints: { readonly subject?: string; readonly subjectAltName?: string; readonly extendedKeyUsage?: string; readonly policy?: string };
}

/**
 * Lists whom a receiver with these settings trusts. Every reference is resolved as the
 * receiver resolves it at start (trusted key files and directories, KMS keys by DescribeKey and
 * GetPublicKey, CA files and CRLs), so a listing that succeeds is one a receiver starts with.
 */
export async function describeTrust(settings: TrustSettings): Promise<TrustListing> {
  const certificateTrust = certificateTrustRefs(settings);
  const [senders, certificateAuthorities] = await Promise.all([
    Promise.all(settings.trust.map(async (ref) => (await resolveTrustedSenders(ref, { kmsVerify: settings.kmsVerify })).map((s) => ({ keyId: s.keyId, algorithm: s.algorithm, source: s.label ?? ref })))),
    settings.trustCa.length === 0
      ? []
      : resolveCertificateTrust(certificateTrust).then(() =>
          Promise.all(settings.trustCa.map(async (path) => {
            // The files parse as the trust store parsed them a moment ago: one or more CA certificates each.
            return parseCertificateChain(await readFile(path)).map((der) => {
              try {
                const described = describeCertificate(der);
                return { subject: described.subject, fingerprint: described.fingerprint, notAfter: described.notAfter.toISOString(), source: path };
              } catch (error) {
                throw new SealpostError('CONFIG_INVALID', `${path}: ${(error as Error).message}`, { cause: error });
              }
            });
          })),
        ),
  ]);
  return { senders: senders.flat(), certificateAuthorities: certificateAuthorities.flat(), crls: settings.crl, constraints: certificateTrust.constraints };
}
