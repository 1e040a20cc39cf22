import { createGunzip } from 'node:zlib';
import { SealpostError, isSealpostError } from '../errors.ts';

/**
 * Output every gzip stream may have beyond `ratio` times its input: small bundles are mostly
 * tar framing and zero padding, which compress far better than any payload.
 */
export const DECOMPRESSION_ALLOWANCE_BYTES = 1024 * 1024;

/** Caps on decompression (FORMAT.md section 5). */
export interface DecompressionCaps {
  /** Most output bytes in all. */
  readonly maxBytes: number;
  /** Most output bytes per input byte, beyond {@link DECOMPRESSION_ALLOWANCE_BYTES}. */
  readonly maxRatio: number;
}

/**
 * Decompresses a gzip stream given as the plaintexts of its frames, in order, and yields the
 * output. One function for the in-memory and the streaming reader, so both reach the same
 * verdict on every input:
 *
 * - every frame is pulled from `frames` (and so authenticated) before the end is accepted,
 *   whatever happens to the gzip stream on the way;
 * - the input is one or more complete gzip members and nothing else: a byte after a member that
 *   does not begin another complete member, zero bytes included, is BUNDLE_INVALID;
 * - after frames 0..i have been fed (each only once the output of the previous one is drained),
 *   the output so far is at most `maxBytes` and at most `maxRatio` times the input so far plus
 *   {@link DECOMPRESSION_ALLOWANCE_BYTES` [LIMIT_EXCEEDED]; checked as output arrives, so a bomb
 *   stops within one chunk of the cap.
 */
export async function* gunzipFrames(frames: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, caps: DecompressionCaps): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  gunzip.on('readable', signal);
  gunzip.on('end', () => {
    ended = true;
    signal();
  });
  gunzip.on('error', (error) => {
    failure ??= error;
    signal();
  });
  let fed = 0;
  let produced = 0;
  // Yields what the decompressor has produced until `done()` holds and nothing is buffered.
  async function* drain(done: () => boolean, bound: number): AsyncGenerator<Buffer> {
    for (;;) {
      if (failure !== undefined) throw failure;
      let chunk: Buffer | null;
      while ((chunk = gunzip.read() as Buffer | null) !== null) {
        produced += chunk.length;
        if (produced > bound) throw new SealpostError('LIMIT_EXCEEDED', 'the bundle decompresses past its size or ratio limit');
        yield chunk;
      }
      if (failure !== undefined) throw failure;
      if (done()) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  const trailing = () => new SealpostError('BUNDLE_INVALID', 'bytes after the last gzip member that are not a gzip member');
  const source = Symbol.asyncIterator in frames ? frames[Symbol.asyncIterator]() : (async function* () { yield* frames; })();
  let frameFailed = false;
  const nextFrame = async () => {
    try {
      return await source.next();
    } catch (error) {
      frameFailed = true;
      throw error;
    }
  };
  try {
    for (let next = await nextFrame(); !next.done; next = await nextFrame()) {
      // zlib stops reading after a member followed by a zero byte: input it did not take is trailing data.
      if (ended || gunzip.bytesWritten < fed) throw trailing();
      const frame = next.value;
      fed += frame.length;
      const bound = Math.min(caps.maxBytes, caps.maxRatio * fed + DECOMPRESSION_ALLOWANCE_BYTES);
      let written = false;
      gunzip.write(frame, () => {
        written = true;
        signal();
      });
      yield* drain(() => written, bound);
    }
    gunzip.end();
    yield* drain(() => ended, Math.min(caps.maxBytes, caps.maxRatio * fed + DECOMPRESSION_ALLOWANCE_BYTES));
    if (gunzip.bytesWritten < fed) throw trailing();
  } catch (error) {
    // Frames come before decompression (FORMAT.md section 9, step 6): a gzip failure is reported
    // only once every remaining frame has authenticated, as the in-memory reader does.
    if (!frameFailed) while (!(await nextFrame()).done);
    if (isSealpostError(error)) throw error;
    throw new SealpostError('BUNDLE_INVALID', 'the bundle is not a valid gzip stream', { cause: error });
  } finally {
    gunzip.destroy();
  }
}
