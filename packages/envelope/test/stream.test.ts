import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHeader } from '../src/format/header.ts';
import { TAG_BYTES } from '../src/format/frames.ts';
import { DEFAULT_LIMITS } from '../src/limits.ts';
import { codeOf, parties } from './support/keys.ts';
import { tempDir } from './support/tools.ts';

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

describe('streaming seal and open', () => {
  for (const compression of ['none', 'gzip'] as const) {
    it(`agree with the buffer API around frame boundaries (${compression})`, async () => {
      const dir = await tempDir();
      const { sealer, opener } = await parties('ec-p384', ['rsa-2048'], { frameSize: 1024, compression });
      // Bundle = 512 + pad(payload) + 512 + pad(manifest) + 512 + 512 + 1024: sizes on and around block and frame edges.
      for (const size of [0, 1, 511, 512, 513, 1023, 1024, 1025, 4096, 70_000]) {
        const payload = randomBytes(size);
        const streamed = sealer.sealStream([payload.subarray(0, size >> 1), payload.subarray(size >> 1)], size, { name: 'data' });
        const envelope = await collect(streamed.stream);
        expect(Buffer.from((await opener.open(envelope)).payload).equals(payload)).toBe(true);
        const { envelope: buffered } = await sealer.seal(payload, { name: 'data' });
        const out = join(dir, `out-${size}`);
        const verified = await opener.openStream((async function* () { for (let i = 0; i < buffered.length; i += 333) yield buffered.subarray(i, i + 333); })(), { payloadPath: out });
        expect(verified.manifest.payload.size).toBe(size);
        expect((await readFile(out)).equals(payload)).toBe(true);
      }
    });
  }

  it('sealFile and openFile round-trip a file and write atomically', async () => {
    const dir = await tempDir();
    const { sealer, opener } = await parties('ec-p521', ['rsa-4096']);
    const payload = randomBytes(3 * 65536 + 17);
    await writeFile(join(dir, 'in.bin'), payload);
    const sealed = await sealer.sealFile(join(dir, 'in.bin'), join(dir, 'in.enc'), { name: 'in.bin' });
    expect(sealed.bytes).toBe((await readFile(join(dir, 'in.enc'))).length);
    const verified = await opener.openFile(join(dir, 'in.enc'), { payloadPath: join(dir, 'out.bin'), bundlePath: join(dir, 'bundle.tar') });
    expect(verified.manifest.id).toBe(sealed.id);
    expect((await readFile(join(dir, 'out.bin'))).equals(payload)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['bundle.tar', 'in.bin', 'in.enc', 'out.bin']);
  });

  it('a missing input file is a permanent IO_ERROR from sealFile and openFile, and leaves nothing behind', async () => {
    const dir = await tempDir();
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048']);
    const attempts = [() => sealer.sealFile(join(dir, 'nope'), join(dir, 'nope.enc'), { name: 'nope' }), () => opener.openFile(join(dir, 'nope.enc'), { payloadPath: join(dir, 'out') })];
    for (const attempt of attempts) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ code: 'IO_ERROR', transient: false });
      expect(String((error as Error).message)).toMatch(/cannot read .*nope/);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('releases nothing when a check fails: no payload, no bundle, no temporary files', async () => {
    const dir = await tempDir();
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048'], { frameSize: 1024 });
    const { envelope } = await sealer.seal(randomBytes(10_000), { name: 'big' });
    const { length } = parseHeader(envelope, DEFAULT_LIMITS);
    const tamperedLast = Buffer.from(envelope);
    tamperedLast[tamperedLast.length - 1]! ^= 1;
    const lastFrameStart = length + Math.floor((envelope.length - length - 1) / (1024 + TAG_BYTES)) * (1024 + TAG_BYTES);
    const droppedLast = envelope.subarray(0, lastFrameStart);
    for (const [bad, code] of [[tamperedLast, 'DECRYPTION_FAILED'], [droppedLast, 'FORMAT_TRUNCATED']] as const) {
      await writeFile(join(dir, 'bad.enc'), bad);
      expect(await codeOf(opener.openFile(join(dir, 'bad.enc'), { payloadPath: join(dir, 'out'), bundlePath: join(dir, 'bundle.tar') }))).toBe(code);
      expect(await readdir(dir)).toEqual(['bad.enc']);
    }
  });

  it('rejects a stream shorter or longer than announced when sealing', async () => {
    const { sealer } = await parties('ec-p256', ['rsa-2048']);
    expect(await codeOf(collect(sealer.sealStream([Buffer.alloc(10)], 11).stream))).toBe('IO_ERROR');
    expect(await codeOf(collect(sealer.sealStream([Buffer.alloc(10)], 9).stream))).toBe('IO_ERROR');
  });
});
