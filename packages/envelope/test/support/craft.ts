import { createSecretKey, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { deriveMessageKeys } from '../../src/format/derive.ts';
import { encryptFrames } from '../../src/format/frames.ts';
import { encodeHeader, type Compression } from '../../src/format/header.ts';
import type { KeyWrapper } from '../../src/index.ts';

/**
 * Encrypts arbitrary bundle bytes into a well-formed envelope for `recipients`: lets a test put
 * hostile content behind valid encryption, so only the check under test can fail.
 */
export async function envelopeAround(bundle: Uint8Array, recipients: readonly KeyWrapper[], options: { compression?: Compression; frameSize?: number } = {}): Promise<Buffer> {
  const dataKey = randomBytes(32);
  const salt = randomBytes(32);
  const { contentKey, commitment } = deriveMessageKeys(createSecretKey(dataKey), salt);
  const entries = await Promise.all(recipients.map(async (r) => ({ keyId: r.keyId, algorithm: r.algorithm, wrappedKey: await r.wrap(dataKey) })));
  const compression = options.compression ?? 'none';
  const frameSize = options.frameSize ?? 65536;
  const header = encodeHeader({ recipients: entries, salt, commitment, frameSize, compression });
  const plaintext = compression === 'gzip' ? gzipSync(bundle) : bundle;
  return Buffer.concat([header.bytes, ...encryptFrames([plaintext], contentKey, header.hash, frameSize)]);
}
