import { KmsError } from './errors.ts';

/**
 * Request-rate quotas, as AWS KMS meters cryptographic operations: requests per second per
 * account and region, shared by every operation on keys of one type. Unset types are unlimited.
 */
export interface Quotas {
  /** Requests per second on ECC keys (Sign, Verify, GetPublicKey). AWS's default is 300. */
  readonly ecc?: number;
  /** Requests per second on RSA keys (Encrypt, Decrypt, Sign, Verify, GetPublicKey). AWS's default is 500. */
  readonly rsa?: number;
  /** Requests per second on symmetric keys (Encrypt, Decrypt, GenerateDataKey). */
  readonly symmetric?: number;
}

/** The key types quotas are kept for. */
export type QuotaKind = keyof Quotas;
const KINDS: readonly QuotaKind[] = ['ecc', 'rsa', 'symmetric'];

/** The operations a quota meters: KMS's "cryptographic operations". */
export const METERED_OPERATIONS: ReadonlySet<string> = new Set(['Sign', 'Verify', 'GetPublicKey', 'Encrypt', 'Decrypt', 'GenerateDataKey']);

/** Checks quota settings; throws a RangeError naming the bad setting and its range. */
export function validateQuotas(quotas: Quotas): Quotas {
  if (typeof quotas !== 'object' || quotas === null) throw new RangeError('quotas must be an object such as { "ecc": 300 }');
  for (const [kind, rate] of Object.entries(quotas)) {
    if (!KINDS.includes(kind as QuotaKind)) throw new RangeError(`quota ${kind} is unknown; known: ${KINDS.join(', ')}`);
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 1 || rate > 1_000_000) throw new RangeError(`quota ${kind} must be between 1 and 1000000 requests per second, got ${String(rate)}`);
  }
  return { ...quotas };
}

/** Parses `ecc=300,rsa=500` (the CLI's --quota). */
export function parseQuotas(text: string): Quotas {
  const quotas: Record<string, number> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const [kind, rate] = part.split('=');
    quotas[kind!.trim()] = Number(rate);
  }
  return validateQuotas(quotas);
}

/**
 * Token buckets, one per key type: each refills at its rate and holds a tenth of a second's
 * requests, so a burst cannot carry a measurement past the rate. An empty bucket answers
 * ThrottlingException (HTTP 400), with KMS's message.
 */
export class QuotaMeter {
  #quotas: Quotas = {};
  #buckets = new Map<QuotaKind, { tokens: number; at: number }>();

  /** The quotas in force. */
  get quotas(): Quotas {
    return { ...this.#quotas };
  }

  /** Replaces the quotas (validated first); buckets start full. */
  set(quotas: Quotas): void {
    this.#quotas = validateQuotas(quotas);
    this.#buckets.clear();
  }

  /** Takes one request of `kind` from its bucket, or throws ThrottlingException. */
  take(kind: QuotaKind): void {
    const rate = this.#quotas[kind];
    if (rate === undefined) return;
    const capacity = Math.max(1, rate / 10);
    const now = performance.now();
    const bucket = this.#buckets.get(kind) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.#buckets.set(kind, bucket);
    if (bucket.tokens < 1) throw new KmsError('ThrottlingException', 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.');
    bucket.tokens -= 1;
  }
}
