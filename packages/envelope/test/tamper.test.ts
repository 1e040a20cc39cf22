import { describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parties, codeOf } from './support/keys.ts';
import { tempDir } from './support/tools.ts';

const REGION_CODES = {
  magic: ['FORMAT_MAGIC'],
  version: ['FORMAT_VERSION'],
  frames: ['DECRYPTION_FAILED', 'FORMAT_TRUNCATED', 'FORMAT_INVALID'],
};

describe('tampering with a small envelope', () => {
  it('every single-byte flip fails with a typed error, through the buffer and the stream paths', async () => {
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048'], { frameSize: 1024 }, { dataKeyCache: { maxEntries: 4 } });
    const { envelope } = await sealer.seal(Buffer.from('twenty bytes payload'), { name: 'p.txt' });
    const headerEnd = 13 + envelope.readUInt32BE(9);
    const seen = new Set<string>();
    for (let offset = 0; offset < envelope.length; offset++) {
      for (const mask of [0x01, 0x80]) {
        const bad = Buffer.from(envelope);
        bad[offset]! ^= mask;
        const code = await codeOf(opener.open(bad));
        seen.add(code);
        if (offset < 8) expect(REGION_CODES.magic).toContain(code);
        else if (offset === 8) expect(REGION_CODES.version).toContain(code);
        else if (offset >= headerEnd) expect(REGION_CODES.frames).toContain(code);
      }
    }
    // Header edits surface as structural errors or, when still well-formed, as decryption failures.
    expect(seen).toContain('DECRYPTION_FAILED');
    expect(seen).toContain('FORMAT_INVALID');
    const dir = await tempDir();
    for (const offset of [0, 8, 20, headerEnd + 3, envelope.length - 1]) {
      const bad = Buffer.from(envelope);
      bad[offset]! ^= 0x01;
      expect(await codeOf(opener.openStream([bad], { payloadPath: join(dir, 'out'), bundlePath: join(dir, 'bundle.tar') }))).toBe(await codeOf(opener.open(bad)));
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('every truncation and any appended byte fail with a typed error', async () => {
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048'], { frameSize: 1024 });
    const { envelope } = await sealer.seal(Buffer.from('x'.repeat(3000)), { name: 'p.txt' });
    for (let length = 0; length < envelope.length; length++) {
      const code = await codeOf(opener.open(envelope.subarray(0, length)));
      expect(code).toMatch(/^(FORMAT_|DECRYPTION_FAILED)/);
    }
    expect(await codeOf(opener.open(Buffer.concat([envelope, Buffer.of(0)])))).toMatch(/^(FORMAT_|DECRYPTION_FAILED)/);
  });
});
