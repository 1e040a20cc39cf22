import { randomPoolBytes } from '../random.ts';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { SealpostError } from '../errors.ts';
import { MANIFEST_ENTRY, PROOF_ENTRY, SIGNATURE_ENTRY, STATEMENT_ENTRY, STATEMENT_SIGNATURE_ENTRY, bundleParts } from '../bundle/bundle.ts';
import { createBatchSigner, singleManifestSigner, type BatchSigningOptions, type ManifestSigner } from '../batch/batch-signer.ts';
import { isSafeEntryName } from '../bundle/ustar.ts';
import { deriveMessageKeys } from '../format/derive.ts';
import { encryptFrames } from '../format/frames.ts';
import { DEFAULT_FRAME_SIZE, SALT_BYTES, encodeHeader, isValidFrameSize, type Compression } from '../format/header.ts';
import { createDataKeySource, type DataKey, type DataKeyReuse, type DataKeySource } from '../keys/data-key-source.ts';
import type { KeyWrapper, Signer } from '../keys/types.ts';
import { DEFAULT_LIMITS, MAX_TAR_ENTRY_BYTES, resolveLimits, type Limits } from '../limits.ts';
import { checkMetadata, encodeManifest, isContentType } from '../manifest.ts';
import type { Manifest } from '../message.ts';
import { certificateDigests, checkSignerCertificates } from '../certs/chain.ts';
import { isUuidV7, uuidv7 } from '../uuid.ts';
import { sealStream, sealFile, type SealFileResult, type SealStreamResult } from './seal-stream.ts';
import { sha256 } from '../sha256.ts';

const gzipAsync = promisify(gzip);

// One-shot hashing: for a small payload it costs less than a Hash object's set-up.

/** Options fixed for every message a {@link Sealer} seals. */
export interface SealerOptions {
  /** Signs each manifest. */
  readonly signer: Signer;
  /**
   * The signer's certificate chain, DER, leaf first (see `parseCertificateChain` for PEM): carried
   * in every bundle and bound by the signed manifest, so a receiver that trusts the issuing CA
   * accepts this sender without knowing its key. @defaultValue none
   */
  readonly certificates?: readonly Uint8Array[];
  /** One wrapper per recipient; every recipient can open every message. */
  readonly recipients: readonly KeyWrapper[];
  /**
   * Reuse one wrapped data key across messages (a fresh content key per message still).
   * `true` uses the default bounds. @defaultValue false: one data key per message
   */
  readonly dataKeyReuse?: DataKeyReuse | boolean;
  /** Compress the bundle before encryption. @defaultValue 'none' */
  readonly compression?: Compression;
  /** Plaintext bytes per encrypted frame: a power of two from 1 KiB to 4 MiB. @defaultValue 65536 */
  readonly frameSize?: number;
  /**
   * Limits checked at seal time: metadata, and the recipient count (at most 16 by default, what a
   * receiver with default limits accepts). The receiver enforces its own.
   */
  readonly limits?: Partial<Limits>;
  /**
   * Sign manifests in batches (FORMAT.md section 15): one signature (one KMS Sign) covers up to
   * `maxMessages` messages sealed within `maxDelayMs`, and each envelope carries the signed batch
   * statement and its own inclusion proof. `true` uses the default bounds.
   * @defaultValue false: one signature per message
   */
  readonly batchSigning?: BatchSigningOptions | boolean;
  /** Clock for creation times, in Unix ms. @defaultValue Date.now */
  readonly clock?: () => number;
}

/** Per-message options. */
export interface SealMessageOptions {
  /** Payload file name inside the bundle: one path component. @defaultValue 'payload' */
  readonly name?: string;
  /** Payload content type. @defaultValue 'application/octet-stream' */
  readonly contentType?: string;
  /** Short string metadata, signed with the message. */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * The message id, when the caller has one (a lower-case UUIDv7): a retry of the same logical
   * message then carries the same id, and the receiver's store deduplicates it.
   * @defaultValue a new UUIDv7
   */
  readonly id?: string;
}

/** A sealed message. */
export interface SealedEnvelope {
  /** The message id (UUIDv7) from the signed manifest. */
  readonly id: string;
  /** The envelope bytes. */
  readonly envelope: Buffer;
}

/** Seals messages for a fixed signer and recipient list. */
export interface Sealer {
  /** Seals an in-memory payload. */
  seal(payload: Uint8Array, options?: SealMessageOptions): Promise<SealedEnvelope>;
  /** Seals a payload stream of exactly `size` bytes; memory stays constant for any size. */
  sealStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, options?: SealMessageOptions): SealStreamResult;
  /** Seals a file into another file, written atomically (temp file, fsync, rename). */
  sealFile(inPath: string, outPath: string, options?: SealMessageOptions): Promise<SealFileResult>;
  /** With batch signing, signs the messages waiting for their batch now; otherwise does nothing. */
  flush(): void;
}

/** What seal and sealStream share: resolved options and the per-message preparation. */
export interface SealContext {
  readonly signer: Signer;
  readonly certificates: readonly Uint8Array[];
  readonly certificateDigests: readonly Uint8Array[];
  /** Signs each manifest: alone, or in a batch. */
  readonly manifestSigner: ManifestSigner;
  readonly recipientIds: readonly string[];
  readonly dataKeys: DataKeySource;
  readonly compression: Compression;
  readonly frameSize: number;
  readonly limits: Limits;
  readonly clock: () => number;
}

// Every name the bundle's other entries may take, in either form: the payload must not shadow one when extracted.
const RESERVED_NAMES = new Set([MANIFEST_ENTRY, SIGNATURE_ENTRY, STATEMENT_ENTRY, STATEMENT_SIGNATURE_ENTRY, PROOF_ENTRY]);

/**
 * Checks per-message options (name, content type, metadata, id) the way every seal does, so a
 * caller can refuse bad input before it opens files or connections. Throws CONFIG_INVALID.
 */
export function checkMessageOptions(options: SealMessageOptions, limits: Partial<Limits> = {}): void {
  checkResolvedMessageOptions(options, resolveLimits(limits));
}

/** {@link checkMessageOptions} with limits already resolved: what every seal runs. */
function checkResolvedMessageOptions(options: SealMessageOptions, limits: Limits): void {
  const name = options.name ?? 'payload';
  const contentType = options.contentType ?? 'application/octet-stream';
  if (!isSafeEntryName(name) || RESERVED_NAMES.has(name)) {
    throw new SealpostError('CONFIG_INVALID', `payload name ${JSON.stringify(name)} must be one path component of at most 100 bytes, without control or path characters`);
  }
  if (!isContentType(contentType)) throw new SealpostError('CONFIG_INVALID', 'contentType must be 1-255 printable ASCII characters');
  checkMetadata(options.metadata ?? {}, limits, 'CONFIG_INVALID');
  if (options.id !== undefined && !isUuidV7(options.id)) throw new SealpostError('CONFIG_INVALID', `id must be a lower-case UUIDv7, got ${JSON.stringify(options.id)}`);
}

/** Validates per-message options and fixes the message id and creation time. */
export function prepareMessage(context: SealContext, options: SealMessageOptions, size: number) {
  checkResolvedMessageOptions(options, context.limits);
  const name = options.name ?? 'payload';
  const contentType = options.contentType ?? 'application/octet-stream';
  const metadata = options.metadata ?? {};
  if (!Number.isSafeInteger(size) || size < 0 || size > context.limits.maxPayloadBytes) {
    throw new SealpostError('LIMIT_EXCEEDED', `payload of ${size} bytes exceeds maxPayloadBytes (${context.limits.maxPayloadBytes})`);
  }
  const createdMs = context.clock();
  const id = options.id ?? uuidv7(createdMs);
  return {
    id,
    name,
    mtimeSeconds: Math.floor(createdMs / 1000),
    manifestFor: (sha256: Uint8Array): Manifest => ({
      id,
      created: new Date(createdMs),
      sender: { keyId: context.signer.keyId, algorithm: context.signer.algorithm, ...(context.certificates.length ? { certificates: context.certificateDigests } : {}) },
      recipients: context.recipientIds,
      payload: { name, contentType, size, sha256 },
      metadata,
    }),
  };
}

/** Takes a data key and derives this message's salt, content key and header. */
export async function prepareEncryption(context: SealContext) {
  const dataKey: DataKey = await context.dataKeys.next();
  const salt = randomPoolBytes(SALT_BYTES);
  const { contentKey, commitment } = deriveMessageKeys(dataKey.key, salt);
  const header = encodeHeader({ recipients: dataKey.recipients, salt, commitment, frameSize: context.frameSize, compression: context.compression });
  return { contentKey, header };
}

/**
 * Creates a {@link Sealer}.
 *
 * @example
 * ```ts
 * const sealer = createSealer({
 *   signer: createLocalSigner(senderPem),
 *   recipients: [createLocalKeyWrapper(receiverPublicPem)],
 *   dataKeyReuse: true,
 * })
 * const { id, envelope } = await sealer.seal(Buffer.from('{"hello":"world"}'), { name: 'message.json', contentType: 'application/json' })
 * ```
 */
export function createSealer(options: SealerOptions): Sealer {
  const frameSize = options.frameSize ?? DEFAULT_FRAME_SIZE;
  if (!isValidFrameSize(frameSize)) throw new SealpostError('CONFIG_INVALID', 'frameSize must be a power of two from 1024 to 4194304');
  const compression = options.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') throw new SealpostError('CONFIG_INVALID', 'compression must be "none" or "gzip"');
  const reuse = options.dataKeyReuse === true ? {} : options.dataKeyReuse || undefined;
  const certificates = checkSignerCertificates(options.signer, options.certificates ?? []);
  const limits = resolveLimits(options.limits, { ...DEFAULT_LIMITS, maxPayloadBytes: MAX_TAR_ENTRY_BYTES });
  // A receiver refuses a header with more recipients than its limit, so sealing one is refused here.
  if (options.recipients.length > limits.maxRecipients) {
    throw new SealpostError(
      'CONFIG_INVALID',
      `${options.recipients.length} recipients exceed limits.maxRecipients (${limits.maxRecipients}), the most a receiver with ${limits.maxRecipients === DEFAULT_LIMITS.maxRecipients ? 'default' : 'these'} limits opens; raise it only when every receiver's limit is raised too`,
    );
  }
  const clock = options.clock ?? Date.now;
  const batching = options.batchSigning === true ? {} : options.batchSigning || undefined;
  const context: SealContext = {
    signer: options.signer,
    manifestSigner: batching ? createBatchSigner(options.signer, batching, clock) : singleManifestSigner(options.signer),
    certificates,
    certificateDigests: certificateDigests(certificates),
    // Frozen: the manifest encoder may then encode this list once for every message.
    recipientIds: Object.freeze(options.recipients.map((r) => r.keyId)),
    dataKeys: createDataKeySource(options.recipients, reuse),
    compression,
    frameSize,
    limits,
    clock,
  };
  return {
    async seal(payload, messageOptions = {}) {
      const message = prepareMessage(context, messageOptions, payload.length);
      const manifest = message.manifestFor(sha256(payload));
      const manifestBytes = encodeManifest(manifest);
      const [evidence, encryption] = await Promise.all([context.manifestSigner.sign(manifestBytes), prepareEncryption(context)]);
      let bundle: Uint8Array[] = bundleParts({ payloadName: message.name, payload, manifest: manifestBytes, ...evidence, certificates: context.certificates }, message.mtimeSeconds);
      if (compression === 'gzip') bundle = [await gzipAsync(Buffer.concat(bundle))];
      const frames = encryptFrames(bundle, encryption.contentKey, encryption.header.hash, frameSize);
      return { id: manifest.id, envelope: Buffer.concat([encryption.header.bytes, ...frames]) };
    },
    sealStream: (source, size, messageOptions = {}) => sealStream(context, source, size, messageOptions),
    sealFile: (inPath, outPath, messageOptions = {}) => sealFile(context, inPath, outPath, messageOptions),
    flush: () => context.manifestSigner.flush(),
  };
}
