import { readFile } from 'node:fs/promises';
import {
  SealpostError,
  createCertificateTrustStore,
  createStaticCrlSource,
  createUrlCrlSource,
  type CertificateConstraints,
  type CrlSource,
  type TrustStore,
  type UrlCrlSourceOptions,
} from '@sealpost/envelope';

/** Certificate trust as users configure it: files and URLs. */
export interface CertificateTrustRefs {
  /** PEM files of trusted CA certificates (anchors); each may hold several. */
  readonly trustCa: readonly string[];
  /** CRLs: PEM or DER files, or http(s) URLs fetched and cached. */
  readonly crl?: readonly string[];
  /** Requirements on the sender's leaf certificate. */
  readonly constraints?: CertificateConstraints;
  /** Refresh and staleness bounds for CRLs fetched from URLs. */
  readonly crlFetch?: UrlCrlSourceOptions;
}

async function readRef(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new SealpostError('CONFIG_INVALID', `cannot read ${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
}

/** A CRL source for a file path or an http(s) URL. */
export async function resolveCrlSource(ref: string, fetchOptions: UrlCrlSourceOptions = {}): Promise<CrlSource> {
  if (/^https?:\/\//i.test(ref)) return createUrlCrlSource(ref, fetchOptions);
  const bytes = await readRef(ref, 'CRL');
  try {
    return createStaticCrlSource([bytes]);
  } catch (error) {
    if (error instanceof SealpostError) throw new SealpostError(error.code, `${ref}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * The certificate trust store for anchors and CRLs given as files and URLs.
 *
 * @example
 * ```ts
 * const trust = await resolveCertificateTrust({ trustCa: ['ca/root.pem'], crl: ['ca/intermediate.crl'] })
 * ```
 */
export async function resolveCertificateTrust(refs: CertificateTrustRefs): Promise<TrustStore> {
  const [anchors, crls] = await Promise.all([
    Promise.all(refs.trustCa.map(async (path) => (await readRef(path, 'CA certificate')).toString('utf8'))),
    Promise.all((refs.crl ?? []).map((ref) => resolveCrlSource(ref, refs.crlFetch))),
  ]);
  return createCertificateTrustStore({ anchors, crls, ...(refs.constraints ? { constraints: refs.constraints } : {}) });
}
