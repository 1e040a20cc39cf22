import type { CertificateRevocationList } from 'pkijs';
import { SealpostError } from '../errors.ts';
import { parseCrl } from './validate.ts';

/** Supplies the current certificate revocation lists a receiver checks chains against. */
export interface CrlSource {
  /** The CRLs to use now. Rejects with a transient `CRL_UNAVAILABLE` when none can be had. */
  current(): Promise<readonly CertificateRevocationList[]>;
}

const PEM_CRL = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g;

/** Reads one or more CRLs from PEM text, or one DER CRL. `code` is what a failure reports. */
export function parseCrls(input: string | Uint8Array, code: 'CONFIG_INVALID' | 'CRL_UNAVAILABLE', what: string): CertificateRevocationList[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const pems = [...text.matchAll(PEM_CRL)];
  const ders = pems.length > 0 ? pems.map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')) : typeof input === 'string' ? [] : [Buffer.from(input)];
  if (ders.length === 0) throw new SealpostError(code, `${what} holds no CRL (PEM "X509 CRL" blocks or one DER CRL)`);
  return ders.map((der) => parseCrl(der, code, what));
}

/**
 * A fixed set of CRLs, e.g. read from files at start-up.
 *
 * @example
 * ```ts
 * const crls = createStaticCrlSource([await readFile('ca/intermediate.crl')])
 * ```
 */
export function createStaticCrlSource(inputs: readonly (string | Uint8Array)[]): CrlSource {
  const crls = inputs.flatMap((input, i) => parseCrls(input, 'CONFIG_INVALID', `CRL ${i + 1}`));
  return { current: () => Promise.resolve(crls) };
}

/** Options for {@link createUrlCrlSource}. */
export interface UrlCrlSourceOptions {
  /** Fetch again after this long. @defaultValue 3600000 (1 hour) */
  readonly refreshMs?: number;
  /**
   * Keep using the last CRL for this long after a failed refresh, counted from when it was
   * fetched; past it, `current` rejects with `CRL_UNAVAILABLE`. @defaultValue 86400000 (1 day)
   */
  readonly maxStaleMs?: number;
  /** Give up one fetch after this long. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /** Largest accepted response. @defaultValue 10485760 (10 MiB) */
  readonly maxBytes?: number;
  /** Clock, for tests. @defaultValue Date.now */
  readonly now?: () => number;
  /** fetch, for tests. @defaultValue globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/**
 * A CRL fetched over HTTP(S) and cached: fetched on first use, refreshed at most every
 * `refreshMs` (one fetch at a time, concurrent callers share it), and kept through failed
 * refreshes for up to `maxStaleMs`. A failure to fetch is transient (`CRL_UNAVAILABLE`): the
 * message is retried later, never rejected for an outage.
 *
 * @example
 * ```ts
 * const crls = createUrlCrlSource('http://ca.example.com/intermediate.crl', { refreshMs: 15 * 60_000 })
 * ```
 */
export function createUrlCrlSource(url: string, options: UrlCrlSourceOptions = {}): CrlSource {
  const refreshMs = options.refreshMs ?? 3_600_000;
  const maxStaleMs = options.maxStaleMs ?? 86_400_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  for (const [name, value] of Object.entries({ refreshMs, maxStaleMs, timeoutMs, maxBytes })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new SealpostError('CONFIG_INVALID', `${name} must be a positive integer`);
  }
  if (!/^https?:\/\//i.test(url)) throw new SealpostError('CONFIG_INVALID', `a CRL URL must be http or https, got ${JSON.stringify(url)}`);
  let cached: { crls: CertificateRevocationList[]; fetchedAt: number } | undefined;
  let inFlight: Promise<CertificateRevocationList[]> | undefined;

  async function fetchCrl(): Promise<CertificateRevocationList[]> {
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw new SealpostError('CRL_UNAVAILABLE', `cannot fetch the CRL at ${url}`, { cause });
    }
    if (!response.ok) throw new SealpostError('CRL_UNAVAILABLE', `the CRL at ${url} answered HTTP ${response.status}`);
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > maxBytes) throw new SealpostError('CRL_UNAVAILABLE', `the CRL at ${url} is larger than ${maxBytes} bytes`);
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.length > maxBytes) throw new SealpostError('CRL_UNAVAILABLE', `the CRL at ${url} is larger than ${maxBytes} bytes`);
    return parseCrls(body, 'CRL_UNAVAILABLE', `the CRL at ${url}`);
  }

  function refresh(): Promise<CertificateRevocationList[]> {
    inFlight ??= fetchCrl()
      .then((crls) => {
        cached = { crls, fetchedAt: now() };
        return crls;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    async current() {
      if (cached && now() - cached.fetchedAt < refreshMs) return cached.crls;
      try {
        return await refresh();
      } catch (error) {
        if (cached && now() - cached.fetchedAt < maxStaleMs) return cached.crls;
        throw error;
      }
    },
  };
}
