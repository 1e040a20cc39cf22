import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isUuidV7, type LocalKeyType } from '../src/index.ts';
import { parties } from './support/keys.ts';

const curves: LocalKeyType[] = ['ec-p256', 'ec-p384', 'ec-p521', 'ec-secp256k1'];
const rsaSizes: LocalKeyType[] = ['rsa-2048', 'rsa-3072', 'rsa-4096'];
const sizes = [0, 1024, 1024 * 1024];
const algorithmOf: Record<string, string> = { 'ec-p256': 'ECDSA_SHA_256', 'ec-secp256k1': 'ECDSA_SHA_256', 'ec-p384': 'ECDSA_SHA_384', 'ec-p521': 'ECDSA_SHA_512' };

describe('seal then open, every curve x RSA size x recipients x compression x size', () => {
  for (const curve of curves) {
    for (const rsa of rsaSizes) {
      for (const count of [1, 3]) {
        for (const compression of ['none', 'gzip'] as const) {
          it(`${curve} -> ${count} x ${rsa}, ${compression}`, async () => {
            const { sealer, openers, sender, recipients } = await parties(curve, Array(count).fill(rsa), { compression });
            for (const size of sizes) {
              const payload = randomBytes(size);
              const { id, envelope } = await sealer.seal(payload, { name: 'data.bin', contentType: 'application/octet-stream', metadata: { 'trace-id': 'abc' } });
              expect(isUuidV7(id)).toBe(true);
              for (const [index, opener] of openers.entries()) {
                const opened = await opener.open(envelope);
                expect(Buffer.from(opened.payload).equals(payload)).toBe(true);
                expect(opened.manifest.id).toBe(id);
                expect(opened.manifest.sender.keyId).toBe(sender.keyId);
                expect(opened.manifest.sender.algorithm).toBe(algorithmOf[curve]);
                expect(opened.manifest.recipients).toEqual(recipients.map((r) => r.keyId));
                expect(opened.manifest.payload).toMatchObject({ name: 'data.bin', size, contentType: 'application/octet-stream' });
                expect(Buffer.from(opened.manifest.payload.sha256).equals(createHash('sha256').update(payload).digest())).toBe(true);
                expect(opened.manifest.metadata).toEqual({ 'trace-id': 'abc' });
                expect(opened.recipientKeyId).toBe(recipients[index]!.keyId);
              }
            }
          });
        }
      }
    }
  }
});
