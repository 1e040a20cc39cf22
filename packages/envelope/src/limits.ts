import { SealpostError } from './errors.ts';
import { MAX_CERTIFICATES, MAX_CERTIFICATE_BYTES } from './bundle/bundle.ts';
import type { DecompressionCaps } from './format/gunzip.ts';

/**
 * Caps on what `open` accepts from untrusted bytes. Each is checked before the bytes it guards
 * are processed, so a hostile envelope cannot make the receiver allocate or compute more.
 */
export interface Limits {
  /** Largest envelope header (CBOR), in bytes. @defaultValue 65536 */
  readonly maxHeaderBytes: number;
  /** Most recipient entries in a header or manifest. @defaultValue 16 */
  readonly maxRecipients: number;
  /** Largest manifest (`manifest.cbor`), in bytes. @defaultValue 65536 */
  readonly maxManifestBytes: number;
  /**
   * Largest payload, in bytes. Also caps decompression: a gzip bundle may not expand past the
   * payload limit plus the manifest limit and tar framing.
   * @defaultValue 64 MiB for in-memory `open`, 4 GiB for streaming `openFile`/`openStream`
   */
  readonly maxPayloadBytes: number;
  /** Most metadata entries in a manifest. @defaultValue 32 */
  readonly maxMetadataEntries: number;
  /** Longest metadata key, in UTF-8 bytes. @defaultValue 64 */
  readonly maxMetadataKeyBytes: number;
  /** Longest metadata value, in UTF-8 bytes. @defaultValue 1024 */
  readonly maxMetadataValueBytes: number;
  /**
   * Most bytes a gzip bundle may decompress to per compressed byte, beyond a 1 MiB allowance,
   * checked frame by frame: a small envelope cannot buy gigabytes of decompression and disk
   * writes below the payload limit. Deflate reaches about 1032:1 at most; text and JSON compress
   * about 3:1 to 20:1.
   * @defaultValue 256
   */
  readonly maxCompressionRatio: number;
}

const MIB = 1024 * 1024;

/** Defaults for in-memory open (buffers). */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxHeaderBytes: 64 * 1024,
  maxRecipients: 16,
  maxManifestBytes: 64 * 1024,
  maxPayloadBytes: 64 * MIB,
  maxMetadataEntries: 32,
  maxMetadataKeyBytes: 64,
  maxMetadataValueBytes: 1024,
  maxCompressionRatio: 256,
});

/** Defaults for streaming open (files and streams): memory does not grow with payload size. */
export const DEFAULT_STREAM_LIMITS: Limits = Object.freeze({ ...DEFAULT_LIMITS, maxPayloadBytes: 4 * 1024 * MIB });

/** The largest payload the tar bundle can describe (11 octal digits). */
export const MAX_TAR_ENTRY_BYTES = 8 ** 11 - 1;

/**
 * Bytes a bundle may hold besides the payload and the manifest: the evidence entries of either
 * form (at most a 256-byte signature, or a 4,096-byte statement, its signature and a 2,048-byte
 * proof), every tar header, padding and the end blocks.
 */
export const BUNDLE_OVERHEAD_BYTES = 12 * 1024;

/** Merges `overrides` into `base` and checks every value is a positive safe integer. */
export function resolveLimits(overrides: Partial<Limits> | undefined, base: Limits = DEFAULT_LIMITS): Limits {
  const limits: Limits = { ...base, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new SealpostError('CONFIG_INVALID', `limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.maxPayloadBytes > MAX_TAR_ENTRY_BYTES) {
    throw new SealpostError('CONFIG_INVALID', `limits.maxPayloadBytes must be at most ${MAX_TAR_ENTRY_BYTES}`);
  }
  return Object.freeze(limits);
}

/** The most bytes a bundle (the decrypted, decompressed tar) may hold under `limits`. */
export function maxBundleBytes(limits: Limits): number {
  return limits.maxPayloadBytes + limits.maxManifestBytes + BUNDLE_OVERHEAD_BYTES + MAX_CERTIFICATES * (MAX_CERTIFICATE_BYTES + 512);
}

/** The decompression caps of a gzip bundle under `limits`. */
export function decompressionCaps(limits: Limits): DecompressionCaps {
  return { maxBytes: maxBundleBytes(limits), maxRatio: limits.maxCompressionRatio };
}

/** The most bytes a gzip-compressed bundle may take: gzip expands incompressible input slightly. */
export function maxCompressedBytes(bundleBytes: number): number {
  return bundleBytes + Math.ceil(bundleBytes / 100) + 65536;
}
