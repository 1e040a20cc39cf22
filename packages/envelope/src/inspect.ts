import { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.ts';
import { parseHeader, VERSION, type Compression } from './format/header.ts';

/** What anyone can read from an envelope without keys. */
export interface EnvelopeInfo {
  readonly version: number;
  readonly recipients: readonly { readonly keyId: string; readonly algorithm: string; readonly wrappedKeyBytes: number }[];
  readonly compression: Compression;
  readonly frameSize: number;
  /** Prefix plus header bytes. */
  readonly headerBytes: number;
}

/**
 * Reads the envelope header (the start of an envelope is enough). Checks the same header
 * rules as `open`; needs no keys and decrypts nothing.
 */
export function inspect(envelopeStart: Uint8Array, limits?: Partial<Limits>): EnvelopeInfo {
  const parsed = parseHeader(envelopeStart, resolveLimits(limits, DEFAULT_LIMITS));
  const { header } = parsed;
  return {
    version: VERSION,
    recipients: header.recipients.map((r) => ({ keyId: r.keyId, algorithm: r.algorithm, wrappedKeyBytes: r.wrappedKey.length })),
    compression: header.compression,
    frameSize: header.frameSize,
    headerBytes: parsed.length,
  };
}
