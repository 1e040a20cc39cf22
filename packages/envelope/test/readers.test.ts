import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SealpostError, createLocalKeyUnwrapper, createLocalTrustedSender, createOpener, createTrustStore, type OpenerOptions } from '../src/index.ts';
import { NOW, REAL_RANDOMNESS, SCENARIOS, VECTORS_ROOT, buildVector, readVectorFile, type Scenario } from '../scripts/generate-vectors.ts';
import { tempDir } from './support/tools.ts';

const fixture = (path: string) => readFileSync(join(VECTORS_ROOT, path), 'utf8');

/** The reader of the vectors: rsa-2048, trusting ec-p256, at the vectors' clock. */
function vectorOpener(options: Partial<OpenerOptions> = {}) {
  return createOpener({
    keys: createLocalKeyUnwrapper(fixture('keys/rsa-2048.pem')),
    trust: createTrustStore([createLocalTrustedSender(fixture('keys/ec-p256.pub.pem'))]),
    now: () => NOW,
    ...options,
  });
}

/** How each reader ends on `envelope`: the error it throws, or `opened`; and what it left on disk. */
async function outcomes(envelope: Buffer, options: Partial<OpenerOptions> = {}) {
  const opener = vectorOpener(options);
  const dir = await tempDir();
  writeFileSync(join(dir, 'in.enc'), envelope);
  const settle = (p: Promise<unknown>) => p.then(() => 'opened' as const, (error: unknown) => error);
  const chunked = (function* () {
    for (let i = 0; i < envelope.length; i += 1000) yield envelope.subarray(i, i + 1000);
  })();
  const results = {
    open: await settle(opener.open(envelope)),
    openStream: await settle(opener.openStream(chunked, { payloadPath: join(dir, 'stream.out') })),
    openFile: await settle(opener.openFile(join(dir, 'in.enc'), { payloadPath: join(dir, 'file.out'), bundlePath: join(dir, 'bundle.tar') })),
  };
  return { results, left: readdirSync(dir).filter((f) => f !== 'in.enc') };
}

const base = (name: string): Scenario => SCENARIOS.find((s) => s.name === name)!;

describe('the in-memory and streaming readers', () => {
  it('a manifest created beyond the time range is a permanent MANIFEST_INVALID in every reader, not a RangeError or a transient IO_ERROR', async () => {
    const { envelope } = readVectorFile('manifest_created_out_of_range');
    const { results, left } = await outcomes(envelope);
    for (const [reader, error] of Object.entries(results)) {
      expect(error, reader).toBeInstanceOf(SealpostError);
      expect((error as SealpostError).code, reader).toBe('MANIFEST_INVALID');
      expect((error as SealpostError).transient, reader).toBe(false);
    }
    expect(left).toEqual([]);
  });

  it('every frame authenticates whatever the gzip stream holds: a bad last tag after a finished gzip member is DECRYPTION_FAILED in every reader', async () => {
    // The gzip member ends in frame 0; zero padding fills the later frames, and the last frame's tag is flipped.
    const scenario: Scenario = {
      ...base('stream_gzip_bad_final_tag'),
      name: 'gzip member then padding, bad last tag',
      plaintext: (bundle) => Buffer.concat([gzipSync(bundle), Buffer.alloc(3000)]),
    };
    const { envelope } = await buildVector(scenario, REAL_RANDOMNESS);
    const { results, left } = await outcomes(envelope);
    for (const [reader, error] of Object.entries(results)) expect((error as SealpostError).code, reader).toBe('DECRYPTION_FAILED');
    expect(left).toEqual([]);
  });

  it('bytes after the last gzip member are BUNDLE_INVALID in every reader, wherever the frames split them', async () => {
    for (const tail of [Buffer.of(0), Buffer.alloc(2000), Buffer.from('\u0000garbage', 'latin1'), gzipSync(Buffer.from('x')).subarray(0, 12)]) {
      const scenario: Scenario = { ...base('gzip_trailing_zero'), frameSize: 1024, plaintext: (bundle) => Buffer.concat([gzipSync(bundle), tail]) };
      const { envelope } = await buildVector(scenario, REAL_RANDOMNESS);
      const { results, left } = await outcomes(envelope);
      for (const [reader, error] of Object.entries(results)) expect((error as SealpostError).code, `${reader}, tail of ${tail.length}`).toBe('BUNDLE_INVALID');
      expect(left).toEqual([]);
    }
  });

  it('a full last frame followed by stray bytes is DECRYPTION_FAILED in every reader, however many bytes follow', async () => {
    for (const extra of [1, 5, 15, 16, 17, 1040]) {
      const scenario: Scenario = { ...base('stream_extra_bytes'), edit: (e) => Buffer.concat([e, Buffer.alloc(extra, 0x61)]) };
      const { envelope } = await buildVector(scenario, REAL_RANDOMNESS);
      const { results } = await outcomes(envelope);
      for (const [reader, error] of Object.entries(results)) expect((error as SealpostError).code, `${reader}, ${extra} bytes`).toBe('DECRYPTION_FAILED');
    }
  });

  it('a gzip bundle that expands past the ratio limit is LIMIT_EXCEEDED in every reader, and opens under a higher limit', async () => {
    const { envelope } = readVectorFile('gzip_ratio_exceeded');
    const { results, left } = await outcomes(envelope);
    for (const [reader, error] of Object.entries(results)) expect((error as SealpostError).code, reader).toBe('LIMIT_EXCEEDED');
    expect(left).toEqual([]);
    const relaxed = await outcomes(envelope, { limits: { maxCompressionRatio: 2048 }, streamLimits: { maxCompressionRatio: 2048 } });
    for (const [reader, result] of Object.entries(relaxed.results)) expect(result, reader).toBe('opened');
  });
});
