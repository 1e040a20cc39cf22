import { createHash } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { SealpostError } from '../errors.ts';
import { bundleHead, bundleTail } from '../bundle/bundle.ts';
import { encryptFrameStream } from '../format/frames.ts';
import { encodeManifest } from '../manifest.ts';
import { AtomicFile, ioError, openInputFile } from '../stream/files.ts';
import { through } from '../stream/through.ts';
import { checkMessageOptions, prepareEncryption, prepareMessage, type SealContext, type SealMessageOptions } from './sealer.ts';

/** A message being sealed as a stream. */
export interface SealStreamResult {
  /** The message id (UUIDv7), known before the first byte. */
  readonly id: string;
  /** The envelope bytes; iterate it once. */
  readonly stream: AsyncGenerator<Buffer>;
}

/** The result of sealing a file. */
export interface SealFileResult {
  readonly id: string;
  /** Bytes written to the envelope file. */
  readonly bytes: number;
}

/**
 * Seals `size` bytes from `source`. The payload goes through once: hashed while it is framed
 * and encrypted, then the manifest (which needs the digest) and signature follow it in the bundle.
 */
export function sealStream(context: SealContext, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number, options: SealMessageOptions): SealStreamResult {
  const message = prepareMessage(context, options, size);
  const { id } = message;

  async function* bundle(): AsyncGenerator<Uint8Array> {
    const hash = createHash('sha256');
    yield bundleHead(message.name, size, message.mtimeSeconds);
    let seen = 0;
    for await (const chunk of source) {
      seen += chunk.length;
      if (seen > size) break;
      hash.update(chunk);
      yield chunk;
    }
    if (seen !== size) {
      throw new SealpostError('IO_ERROR', `the payload was announced as ${size} bytes but ${seen > size ? 'more' : seen} arrived`, { transient: false });
    }
    const manifestBytes = encodeManifest(message.manifestFor(hash.digest()));
    const evidence = await context.manifestSigner.sign(manifestBytes);
    yield bundleTail(size, manifestBytes, evidence, message.mtimeSeconds, context.certificates);
  }

  async function* envelope(): AsyncGenerator<Buffer> {
    const { contentKey, header } = await prepareEncryption(context);
    yield header.bytes;
    const plaintext = context.compression === 'gzip' ? through(bundle(), createGzip()) : bundle();
    yield* encryptFrameStream(plaintext, contentKey, header.hash, context.frameSize);
  }

  return { id, stream: envelope() };
}

/**
 * Seals the file at `inPath` into `outPath`, atomically. Bad message options are refused before
 * any file is opened; on every failure the input is closed and the temporary file removed.
 */
export async function sealFile(context: SealContext, inPath: string, outPath: string, options: SealMessageOptions): Promise<SealFileResult> {
  checkMessageOptions(options, context.limits);
  const input = await openInputFile(inPath);
  let out: AtomicFile | undefined;
  try {
    out = await AtomicFile.create(outPath);
    const { id, stream } = sealStream(context, input.stream, input.size, options);
    let bytes = 0;
    for await (const chunk of stream) {
      await out.write(chunk);
      bytes += chunk.length;
    }
    await out.commit();
    return { id, bytes };
  } catch (error) {
    await out?.discard();
    throw error instanceof SealpostError ? error : ioError(`cannot seal ${inPath}`, error);
  } finally {
    input.stream.destroy();
  }
}
