import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { SealpostError, isSealpostError, needs } from '../errors.ts';
import { BundleLayout } from '../bundle/bundle.ts';
import { BLOCK, entryBytes, isZero, readHeader } from '../bundle/ustar.ts';
import { decryptFrameStream } from '../format/frames.ts';
import { gunzipFrames } from '../format/gunzip.ts';
import { PREFIX_BYTES, parseHeader, readPrefix } from '../format/header.ts';
import { decompressionCaps, maxBundleBytes, maxCompressedBytes } from '../limits.ts';
import type { VerifiedMessage } from '../message.ts';
import { ByteReader } from '../stream/byte-reader.ts';
import { AtomicFile, ioError, openInputFile } from '../stream/files.ts';
import { unlock, verifyBundle, type OpenContext } from './checks.ts';
import { verifiedEvidence } from '../batch/evidence.ts';

/** Where a streaming open writes what it releases. */
export interface OpenStreamDestination {
  /** The payload file; written only after every check has passed. */
  readonly payloadPath: string;
  /** Also write the verified bundle (the tar) here, for independent checks with tar and openssl. */
  readonly bundlePath?: string;
}

/**
 * Streaming open: decrypts frame by frame, parses the tar as it arrives, writes the payload to
 * a temporary file while hashing it, and moves it into place only after the final frame, the
 * tar end, the signature and every other check have passed. Memory stays constant.
 */
export async function openStream(context: OpenContext, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, destination: OpenStreamDestination): Promise<VerifiedMessage> {
  if (destination.bundlePath !== undefined && resolve(destination.bundlePath) === resolve(destination.payloadPath)) {
    throw new SealpostError('CONFIG_INVALID', `the payload and the bundle cannot both be written to ${destination.payloadPath}`);
  }
  try {
    return await openVerified(context, source, destination);
  } catch (error) {
    throw isSealpostError(error) ? error : unexpected(error);
  }
}

/** A source that fails with a system error is an I/O failure; anything else is a defect of ours. */
function unexpected(error: unknown): SealpostError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return ioError('cannot read the envelope', error);
  return new SealpostError('INTERNAL_ERROR', 'cannot open the envelope', { cause: error });
}

async function openVerified(context: OpenContext, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, destination: OpenStreamDestination): Promise<VerifiedMessage> {
  const reader = new ByteReader(source);
  const prefix = await reader.read(PREFIX_BYTES);
  const headerLength = readPrefix(prefix, context.limits);
  const headerCbor = await reader.readExact(headerLength, 'FORMAT_TRUNCATED', 'envelope ends inside its header');
  const parsed = parseHeader(Buffer.concat([prefix, headerCbor]), context.limits);
  const { contentKey, recipientKeyId } = await unlock(parsed, context);

  const payloadFile = await AtomicFile.create(destination.payloadPath);
  let bundleFile: AtomicFile | undefined;
  let bundleReader: ByteReader | undefined;
  try {
    if (destination.bundlePath !== undefined) bundleFile = await AtomicFile.create(destination.bundlePath);
    const maxBundle = maxBundleBytes(context.limits);
    const compressed = parsed.header.compression === 'gzip';
    let bundle: AsyncIterable<Uint8Array> = decryptFrameStream(reader.rest(), contentKey, parsed.hash, parsed.header.frameSize, compressed ? maxCompressedBytes(maxBundle) : maxBundle);
    if (compressed) bundle = gunzipFrames(bundle, decompressionCaps(context.limits));
    if (bundleFile) bundle = tee(bundle, bundleFile);
    // readBundleStream reads to the end of the bundle, so every frame has authenticated when it returns.
    bundleReader = new ByteReader(bundle);
    const facts = await readBundleStream(bundleReader, payloadFile, context);
    const manifest = await verifyBundle(facts, recipientKeyId, context);
    await payloadFile.commit();
    await bundleFile?.commit();
    return { manifest, manifestBytes: facts.manifestBytes, ...verifiedEvidence(facts), recipientKeyId, certificates: facts.certificates };
  } catch (error) {
    await bundleReader?.close().catch(() => undefined);
    await payloadFile.discard();
    await bundleFile?.discard();
    throw error;
  }
}

/** {@link openStream} from a file. */
export async function openFile(context: OpenContext, inPath: string, destination: OpenStreamDestination): Promise<VerifiedMessage> {
  const { stream: input } = await openInputFile(inPath);
  try {
    return await openStream(context, input, destination);
  } finally {
    input.destroy();
  }
}

async function readBundleStream(reader: ByteReader, payloadFile: AtomicFile, context: OpenContext) {
  const truncated = 'bundle ends inside an entry';
  const entries: { name: string; data?: Buffer }[] = [];
  const layout = new BundleLayout();
  const hash = createHash('sha256');
  let payloadSize = 0;
  const endMessage = 'bundle must end with exactly two zero blocks';
  for (let index = 0; ; index++) {
    const block = await reader.readExact(BLOCK, 'BUNDLE_INVALID', index < layout.required ? `bundle ends before its entry ${index + 1}` : endMessage);
    if (index >= layout.required && isZero(block)) {
      const end = await reader.readExact(BLOCK, 'BUNDLE_INVALID', endMessage);
      needs(isZero(end) && (await reader.atEnd()), 'BUNDLE_INVALID', endMessage);
      break;
    }
    const header = readHeader(block);
    layout.checkEntry(index, header.name, header.size, context.limits);
    if (index === 0) {
      payloadSize = header.size;
      for await (const chunk of reader.take(header.size, 'BUNDLE_INVALID', truncated)) {
        hash.update(chunk);
        await payloadFile.write(chunk);
      }
      entries.push({ name: header.name });
    } else {
      entries.push({ name: header.name, data: await reader.readExact(header.size, 'BUNDLE_INVALID', truncated) });
    }
    const padding = await reader.readExact(entryBytes(header.size) - BLOCK - header.size, 'BUNDLE_INVALID', truncated);
    needs(isZero(padding), 'BUNDLE_INVALID', 'tar padding is not zero');
  }
  const evidence = layout.evidence(entries.slice(2, layout.required).map((e) => e.data!));
  const certificates = entries.slice(layout.required).map((entry) => entry.data!);
  return { payloadName: entries[0]!.name, payloadSize, payloadSha256: hash.digest(), manifestBytes: entries[1]!.data!, ...evidence, certificates };
}

async function* tee(source: AsyncIterable<Uint8Array>, file: AtomicFile): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    await file.write(chunk);
    yield chunk;
  }
}
