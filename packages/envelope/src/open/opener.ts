import { SealpostError, isSealpostError } from '../errors.ts';
import { parseBundle } from '../bundle/bundle.ts';
import { decryptFrameParts } from '../format/frames.ts';
import { gunzipFrames } from '../format/gunzip.ts';
import { parseHeader } from '../format/header.ts';
import { cachingUnwrapper, type DataKeyCacheOptions } from '../keys/data-key-cache.ts';
import type { KeyUnwrapper, TrustStore } from '../keys/types.ts';
import { DEFAULT_LIMITS, DEFAULT_STREAM_LIMITS, decompressionCaps, maxBundleBytes, maxCompressedBytes, resolveLimits, type Limits } from '../limits.ts';
import type { OpenedMessage, VerifiedMessage } from '../message.ts';
import { unlock, verifyBundle, type OpenContext } from './checks.ts';
import { verifiedEvidence } from '../batch/evidence.ts';
import { createStatementCache, type StatementCacheOptions } from '../batch/statement-cache.ts';
import { openFile, openStream, type OpenStreamDestination } from './open-stream.ts';
import { sha256 } from '../sha256.ts';

/** Options for {@link createOpener}. */
export interface OpenerOptions {
  /** Our private keys (one or several; local or KMS). */
  readonly keys: KeyUnwrapper | readonly KeyUnwrapper[];
  /** The senders we accept. */
  readonly trust: TrustStore;
  /** Caps on untrusted input. Stream limits apply to `openStream`/`openFile`. */
  readonly limits?: Partial<Limits>;
  /** Caps for streaming open; defaults to `limits` with a 4 GiB payload cap. */
  readonly streamLimits?: Partial<Limits>;
  /** Oldest accepted message, in ms; `null` accepts any age. @defaultValue 604800000 (7 days) */
  readonly maxAgeMs?: number | null;
  /** How far in the future a creation time may be, for clock skew. @defaultValue 300000 (5 minutes) */
  readonly maxClockSkewMs?: number;
  /** Cache of unwrapped data keys; `false` unwraps every message. @defaultValue \{ maxEntries: 1000, ttlMs: 600000 \} */
  readonly dataKeyCache?: DataKeyCacheOptions | false;
  /**
   * Cache of verified batch statements (FORMAT.md 15.7): the second to the last message of a
   * batch cost a few hashes instead of a signature verification. `false` verifies every
   * statement signature. @defaultValue \{ maxEntries: 1000, ttlMs: 600000 \}
   */
  readonly statementCache?: StatementCacheOptions | false;
  /** Clock, for tests. @defaultValue Date.now */
  readonly now?: () => number;
}

/** Opens envelopes for a fixed set of keys and trusted senders. */
export interface Opener {
  /** Opens an in-memory envelope; releases the payload only after every check has passed. */
  open(envelope: Uint8Array): Promise<OpenedMessage>;
  /**
   * Opens an envelope stream, writing the payload (and optionally the verified bundle) to
   * temporary files that are moved into place only after every check has passed.
   */
  openStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, destination: OpenStreamDestination): Promise<VerifiedMessage>;
  /** {@link Opener.openStream} from a file. */
  openFile(inPath: string, destination: OpenStreamDestination): Promise<VerifiedMessage>;
}

/**
 * Creates an {@link Opener}.
 *
 * @example
 * ```ts
 * const opener = createOpener({
 *   keys: createLocalKeyUnwrapper(receiverPem),
 *   trust: createTrustStore([createLocalTrustedSender(senderPublicPem)]),
 * })
 * const message = await opener.open(envelope)
 * console.log(message.manifest.id, message.payload.length)
 * ```
 */
export function createOpener(options: OpenerOptions): Opener {
  const keys = Array.isArray(options.keys) ? (options.keys as readonly KeyUnwrapper[]) : [options.keys as KeyUnwrapper];
  if (keys.length === 0) throw new SealpostError('CONFIG_INVALID', 'at least one key is required to open envelopes');
  const maxAgeMs = options.maxAgeMs === undefined ? 7 * 24 * 3600_000 : options.maxAgeMs;
  const maxClockSkewMs = options.maxClockSkewMs ?? 300_000;
  if (maxAgeMs !== null && !(maxAgeMs > 0)) throw new SealpostError('CONFIG_INVALID', 'maxAgeMs must be positive or null');
  if (!(maxClockSkewMs >= 0)) throw new SealpostError('CONFIG_INVALID', 'maxClockSkewMs must be zero or positive');
  const unwrappers = options.dataKeyCache === false ? keys : keys.map((k) => cachingUnwrapper(k, options.dataKeyCache || {}));
  const statements = options.statementCache === false ? undefined : createStatementCache(options.statementCache || {});
  const base = { unwrappers, trust: options.trust, maxAgeMs, maxClockSkewMs, now: options.now ?? Date.now, ...(statements ? { statements } : {}) };
  const context: OpenContext = { ...base, limits: resolveLimits(options.limits, DEFAULT_LIMITS) };
  const streamContext: OpenContext = {
    ...base,
    limits: resolveLimits(options.streamLimits ?? options.limits, DEFAULT_STREAM_LIMITS),
  };
  return {
    open: (envelope) => openBuffer(envelope, context),
    openStream: (source, destination) => openStream(streamContext, source, destination),
    openFile: (inPath, destination) => openFile(streamContext, inPath, destination),
  };
}

async function openBuffer(envelope: Uint8Array, context: OpenContext): Promise<OpenedMessage> {
  try {
    return await openVerified(envelope, context);
  } catch (error) {
    throw isSealpostError(error) ? error : new SealpostError('INTERNAL_ERROR', 'cannot open the envelope', { cause: error });
  }
}

async function openVerified(envelope: Uint8Array, context: OpenContext): Promise<OpenedMessage> {
  const parsed = parseHeader(envelope, context.limits);
  const { contentKey, recipientKeyId } = await unlock(parsed, context);
  const maxBundle = maxBundleBytes(context.limits);
  const compressed = parsed.header.compression === 'gzip';
  const frames = decryptFrameParts(envelope.subarray(parsed.length), contentKey, parsed.hash, parsed.header.frameSize, compressed ? maxCompressedBytes(maxBundle) : maxBundle);
  const bundle = compressed ? await gunzipAll(frames, context.limits) : frames.length === 1 ? frames[0]! : Buffer.concat(frames);
  const parts = parseBundle(bundle, context.limits);
  const manifest = await verifyBundle(
    {
      payloadName: parts.payloadName,
      payloadSize: parts.payload.length,
      payloadSha256: sha256(parts.payload),
      manifestBytes: parts.manifest,
      signature: parts.signature,
      certificates: parts.certificates ?? [],
      ...(parts.batch ? { batch: parts.batch } : {}),
    },
    recipientKeyId,
    context,
  );
  return { manifest, manifestBytes: parts.manifest, ...verifiedEvidence(parts), recipientKeyId, certificates: parts.certificates ?? [], payload: parts.payload };
}

async function gunzipAll(frames: readonly Buffer[], limits: Limits): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of gunzipFrames(frames, decompressionCaps(limits))) out.push(chunk);
  return Buffer.concat(out);
}
