import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { SealpostError, needs } from '../errors.ts';

/** Bytes of GCM tag after each frame's ciphertext. */
export const TAG_BYTES = 16;

/**
 * The STREAM nonce of frame `counter`: an 11-byte big-endian counter followed by one flag byte,
 * 0x01 on the last frame and 0x00 otherwise. Dropping, reordering or truncating frames, or
 * appending after the last one, makes a tag check fail.
 */
export function frameNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function encryptFrame(key: KeyObject, aad: Uint8Array, counter: number, last: boolean, plaintext: Uint8Array): Buffer[] {
  const cipher = createCipheriv('aes-256-gcm', key, frameNonce(counter, last));
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

function decryptFrame(key: KeyObject, aad: Uint8Array, counter: number, last: boolean, frame: Uint8Array): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, frameNonce(counter, last));
  decipher.setAAD(aad);
  decipher.setAuthTag(frame.subarray(frame.length - TAG_BYTES));
  const body = decipher.update(frame.subarray(0, frame.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return body;
}

/** Number of frames `plaintextLength` bytes take: the last holds 1..frameSize bytes (0 only when empty). */
export function frameCount(plaintextLength: number, frameSize: number): number {
  return Math.max(1, Math.ceil(plaintextLength / frameSize));
}

/**
 * Encrypts a plaintext given as consecutive parts (so a bundle need not be copied into one
 * buffer first) into frames: ciphertext and tag per frame, in order.
 */
export function encryptFrames(parts: readonly Uint8Array[], key: KeyObject, aad: Uint8Array, frameSize: number): Buffer[] {
  let total = 0;
  for (const part of parts) total += part.length;
  const count = frameCount(total, frameSize);
  const out: Buffer[] = [];
  let partIndex = 0;
  let partOffset = 0;
  for (let i = 0; i < count; i++) {
    const last = i === count - 1;
    const cipher = createCipheriv('aes-256-gcm', key, frameNonce(i, last));
    cipher.setAAD(aad);
    let need = last ? total - i * frameSize : frameSize;
    while (need > 0) {
      const part = parts[partIndex]!;
      const n = Math.min(need, part.length - partOffset);
      out.push(cipher.update(part.subarray(partOffset, partOffset + n)));
      need -= n;
      partOffset += n;
      if (partOffset === part.length) {
        partIndex++;
        partOffset = 0;
      }
    }
    cipher.final();
    out.push(cipher.getAuthTag());
  }
  return out;
}

/**
 * Decrypts the frames that make up all of `ciphertext`, returning each frame's plaintext. The
 * last frame is the one that ends the input; frames before it are full and are authenticated
 * first, in order, exactly as a streaming reader meets them: so a full last frame followed by
 * stray bytes fails as a middle frame (DECRYPTION_FAILED) in both readers. Then a last frame
 * shorter than a tag is FORMAT_TRUNCATED, and one that authenticates only as a middle frame
 * (the input ends before the last frame) too.
 */
export function decryptFrameParts(ciphertext: Uint8Array, key: KeyObject, aad: Uint8Array, frameSize: number, maxPlaintext: number): Buffer[] {
  const stride = frameSize + TAG_BYTES;
  needs(ciphertext.length >= TAG_BYTES, 'FORMAT_TRUNCATED', 'envelope ends before its first frame');
  const count = Math.ceil(ciphertext.length / stride);
  needs(ciphertext.length - count * TAG_BYTES <= maxPlaintext, 'LIMIT_EXCEEDED', 'encrypted bundle exceeds the size limit');
  const parts: Buffer[] = [];
  for (let i = 0; i < count - 1; i++) parts.push(openFrame(key, aad, i, false, ciphertext.subarray(i * stride, (i + 1) * stride)));
  const last = ciphertext.subarray((count - 1) * stride);
  needs(last.length >= TAG_BYTES, 'FORMAT_TRUNCATED', 'envelope ends inside a frame');
  parts.push(openFrame(key, aad, count - 1, true, last));
  return parts;
}

/** {@link decryptFrameParts} as one buffer. */
export function decryptFrames(ciphertext: Uint8Array, key: KeyObject, aad: Uint8Array, frameSize: number, maxPlaintext: number): Buffer {
  const parts = decryptFrameParts(ciphertext, key, aad, frameSize, maxPlaintext);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function openFrame(key: KeyObject, aad: Uint8Array, counter: number, last: boolean, frame: Uint8Array): Buffer {
  if (last && counter > 0 && frame.length === TAG_BYTES) {
    throw new SealpostError('FORMAT_INVALID', 'empty final frame after other frames');
  }
  const body = decryptFrame(key, aad, counter, last, frame);
  if (body) return body;
  if (last && decryptFrame(key, aad, counter, false, frame)) {
    throw new SealpostError('FORMAT_TRUNCATED', 'envelope ends before its final frame');
  }
  throw new SealpostError('DECRYPTION_FAILED');
}

/**
 * Encrypts a byte stream into frames. Holds at most one frame of plaintext: a full frame is
 * emitted as a middle frame only once more input shows it is not the last.
 */
export async function* encryptFrameStream(source: AsyncIterable<Uint8Array>, key: KeyObject, aad: Uint8Array, frameSize: number): AsyncGenerator<Buffer> {
  const pending = Buffer.allocUnsafe(frameSize);
  let filled = 0;
  let counter = 0;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      if (filled === frameSize) {
        yield* encryptFrame(key, aad, counter++, false, pending);
        filled = 0;
      }
      const n = Math.min(frameSize - filled, chunk.length - offset);
      pending.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
    }
  }
  yield* encryptFrame(key, aad, counter, true, pending.subarray(0, filled));
}

/**
 * Decrypts a framed byte stream, yielding each frame's plaintext only after its tag has
 * verified. Holds at most one frame plus one tag of ciphertext.
 */
export async function* decryptFrameStream(source: AsyncIterable<Uint8Array>, key: KeyObject, aad: Uint8Array, frameSize: number, maxPlaintext: number): AsyncGenerator<Buffer> {
  const stride = frameSize + TAG_BYTES;
  // One spare byte: a full frame is known to be a middle frame once a byte after it arrives.
  const pending = Buffer.allocUnsafe(stride + 1);
  let filled = 0;
  let counter = 0;
  let total = 0;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      if (filled === stride + 1) {
        total += frameSize;
        needs(total <= maxPlaintext, 'LIMIT_EXCEEDED', 'encrypted bundle exceeds the size limit');
        yield openFrame(key, aad, counter++, false, pending.subarray(0, stride));
        pending[0] = pending[stride]!;
        filled = 1;
      }
      const n = Math.min(stride + 1 - filled, chunk.length - offset);
      pending.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
    }
  }
  if (filled === stride + 1) {
    yield openFrame(key, aad, counter++, false, pending.subarray(0, stride));
    pending[0] = pending[stride]!;
    filled = 1;
  }
  needs(filled >= TAG_BYTES, 'FORMAT_TRUNCATED', counter === 0 ? 'envelope ends before its first frame' : 'envelope ends inside a frame');
  needs(total + filled - TAG_BYTES <= maxPlaintext, 'LIMIT_EXCEEDED', 'encrypted bundle exceeds the size limit');
  yield openFrame(key, aad, counter, true, pending.subarray(0, filled));
}
