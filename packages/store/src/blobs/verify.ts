import { createHash, timingSafeEqual } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { SealpostError, isSealpostError, type ErrorCode } from '@sealpost/envelope';

/** What a {@link verifyingStream} checks, and the code it fails with. */
export interface Expected {
  readonly sha256: Uint8Array;
  /** Exact byte count, when known in advance; more bytes fail at once. */
  readonly size?: number;
  readonly code: ErrorCode;
  /** Names the bytes in error messages. */
  readonly what: string;
}

/**
 * A pass-through that hashes and counts what flows through it and fails — before it ends — when
 * the bytes differ from `expected`, so a consumer that waits for the end never takes bad bytes
 * as good. `bytes()` gives the count so far.
 */
export function verifyingStream(expected: Expected): Transform & { bytes(): number } {
  const hash = createHash('sha256');
  let count = 0;
  const fail = (detail: string) => new SealpostError(expected.code, `${expected.what} ${detail}`);
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      count += chunk.length;
      if (expected.size !== undefined && count > expected.size) return callback(fail(`has more than the recorded ${expected.size} bytes`));
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (expected.size !== undefined && count !== expected.size) return callback(fail(`has ${count} bytes, ${expected.size} recorded`));
      const digest = hash.digest();
      if (digest.length !== expected.sha256.length || !timingSafeEqual(digest, expected.sha256)) return callback(fail('does not match its SHA-256 digest'));
      callback();
    },
  });
  return Object.assign(stream, { bytes: () => count });
}

/**
 * `raw` piped through a {@link verifyingStream}: errors of `raw` surface on the returned stream
 * (a system error as `STORE_UNAVAILABLE`, transient), and destroying the returned stream
 * destroys `raw`.
 */
export function verifiedRead(raw: Readable, expected: Expected): Readable {
  const verifier = verifyingStream(expected);
  raw.on('error', (error: Error) => verifier.destroy(isSealpostError(error) ? error : new SealpostError('STORE_UNAVAILABLE', `cannot read ${expected.what}: ${error.message}`, { cause: error })));
  verifier.on('close', () => raw.destroy());
  raw.pipe(verifier);
  return verifier;
}
