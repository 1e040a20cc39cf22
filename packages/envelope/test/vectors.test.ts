import { createHash, hkdfSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { parseBundle } from '../src/bundle/bundle.ts';
import { MAGIC, PREFIX_BYTES } from '../src/format/header.ts';
import { resolveLimits } from '../src/limits.ts';
import { combineTrustStores, createCertificateTrustStore, createLocalKeyUnwrapper, createLocalTrustedSender, createOpener, createStaticCrlSource, createTrustStore, localKeyId, toPublicKey } from '../src/index.ts';
import { BATCH_WORKED_EXAMPLE_VECTOR, SCENARIOS, VECTORS_ROOT, WORKED_EXAMPLE_VECTOR, batchWorkedExample, buildVector, decryptVector, workedExample, type KeyName, type Randomness } from '../scripts/generate-vectors.ts';
import { codeOf } from './support/keys.ts';
import { tempDir } from './support/tools.ts';

/** One committed vector file, read the way test-vectors/README.md describes. */
interface Vector {
  readonly name: string;
  readonly expect: string;
  readonly recipientKey: string;
  readonly trusted: readonly string[];
  readonly trustedCa: readonly string[];
  readonly crls: readonly string[];
  readonly now: number;
  readonly limits: Record<string, number>;
  readonly dataKey: Buffer;
  readonly messageId?: string;
  readonly payloadSha256?: string;
  readonly envelope: Buffer;
}

function parseVector(name: string, text: string): Vector {
  const split = text.indexOf('\n\n');
  const lines = text.slice(0, split).split('\n').map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)] as const);
  const one = (key: string) => lines.find(([k]) => k === key)?.[1];
  return {
    name,
    expect: one('expect')!,
    recipientKey: one('recipient key')!,
    trusted: lines.filter(([k]) => k === 'trusted sender').map(([, v]) => v),
    trustedCa: lines.filter(([k]) => k === 'trusted ca').map(([, v]) => v),
    crls: lines.filter(([k]) => k === 'crl').map(([, v]) => v),
    now: Number(one('now')),
    limits: JSON.parse(one('limits') ?? '{}') as Record<string, number>,
    dataKey: Buffer.from(one('data key')!, 'hex'),
    ...(one('message id') ? { messageId: one('message id') } : {}),
    ...(one('payload sha256') ? { payloadSha256: one('payload sha256') } : {}),
    envelope: Buffer.from(text.slice(split + 2).replace(/\s/g, ''), 'base64'),
  };
}

const vectorsDir = join(VECTORS_ROOT, 'v1');
const vectors = readdirSync(vectorsDir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => parseVector(f.slice(0, -'.txt'.length), readFileSync(join(vectorsDir, f), 'utf8')));
const successes = vectors.filter((v) => v.expect === 'success');
const fixture = (path: string) => readFileSync(join(VECTORS_ROOT, path), 'utf8');
const sha256hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function openerFor(v: Vector) {
  return createOpener({
    keys: createLocalKeyUnwrapper(fixture(v.recipientKey)),
    trust: combineTrustStores(
      createTrustStore(v.trusted.map((t) => createLocalTrustedSender(fixture(t)))),
      ...(v.trustedCa.length ? [createCertificateTrustStore({ anchors: v.trustedCa.map(fixture), crls: [createStaticCrlSource(v.crls.map(fixture))] })] : []),
    ),
    limits: v.limits,
    streamLimits: v.limits,
    now: () => v.now,
  });
}

/** Offset of the first byte where `a` and `b` differ, or -1: a readable failure for long buffers. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** The recipient entries of a committed header, read leniently (defective headers included). */
function wrappedKeysOf(envelope: Buffer): Map<string, Uint8Array> {
  const end = PREFIX_BYTES + envelope.readUInt32BE(MAGIC.length + 1);
  try {
    const header = decode(envelope.subarray(PREFIX_BYTES, end)) as { recipients: { kid: string; key: Uint8Array }[] };
    return new Map(header.recipients.map((r) => [r.kid, r.key]));
  } catch {
    return new Map();
  }
}

/** Randomness that replays a committed vector's wrapped keys, signature and gzip stream. */
function replay(envelope: Buffer, recorded: { signature?: Uint8Array; plaintext?: Buffer } = {}): Randomness {
  const wrapped = wrappedKeysOf(envelope);
  return {
    wrap: (recipient: KeyName) => {
      const key = toPublicKey(fixture(`keys/${recipient}.pub.pem`));
      return Promise.resolve(wrapped.get(localKeyId(key)) ?? new Uint8Array(key.asymmetricKeyDetails!.modulusLength! / 8));
    },
    sign: () => Promise.resolve(recorded.signature ?? new Uint8Array(72)),
    gzip: (bundle) => Promise.resolve(recorded.plaintext ?? bundle),
  };
}

const scenario = (name: string) => SCENARIOS.find((s) => s.name === name)!;

describe('known-answer vectors (test-vectors/v1)', () => {
  it('has one file per generator scenario, positive and negative', () => {
    expect(vectors.map((v) => v.name)).toEqual(SCENARIOS.map((s) => s.name).sort());
    expect(successes.length).toBeGreaterThanOrEqual(12);
    expect(vectors.length - successes.length).toBeGreaterThanOrEqual(40);
  });

  for (const v of vectors) {
    it(`${v.name}: ${v.expect} through open and openStream`, async () => {
      const opener = openerFor(v);
      const dir = await tempDir();
      const destination = { payloadPath: join(dir, 'payload') };
      if (v.expect === 'success') {
        const opened = await opener.open(v.envelope);
        expect(opened.manifest.id).toBe(v.messageId);
        expect(sha256hex(opened.payload)).toBe(v.payloadSha256);
        const streamed = await opener.openStream([v.envelope], destination);
        expect(streamed.manifest.id).toBe(v.messageId);
        expect(sha256hex(readFileSync(destination.payloadPath))).toBe(v.payloadSha256);
      } else {
        const code = v.expect.replace(/^error /, '');
        expect(await codeOf(opener.open(v.envelope))).toBe(code);
        expect(await codeOf(opener.openStream([v.envelope], destination))).toBe(code);
        // Nothing released: not even a partial or temporary payload file.
        expect(readdirSync(dir)).toEqual([]);
      }
    });
  }

  it('every success vector commits to HKDF-SHA-256(data key, salt, "sealpost v1 content key and key commitment")[32..64]', () => {
    for (const v of successes) {
      const { header } = decryptVector(v.envelope, v.dataKey);
      const okm = Buffer.from(hkdfSync('sha256', v.dataKey, header.salt, Buffer.from('sealpost v1 content key and key commitment'), 64));
      expect(okm.subarray(32).equals(Buffer.from(header.commitment)), v.name).toBe(true);
    }
  });

  it('the generator reproduces every success vector byte for byte, given the wrapped keys, signature and gzip stream in the file', async () => {
    for (const v of successes) {
      const { plaintext, bundle } = decryptVector(v.envelope, v.dataKey);
      const { signature } = parseBundle(bundle, resolveLimits({ maxPayloadBytes: bundle.length }));
      const built = await buildVector(scenario(v.name), replay(v.envelope, { signature, plaintext }));
      expect(firstDifference(built.bundle, bundle), `${v.name}: bundle`).toBe(-1);
      expect(firstDifference(built.envelope, v.envelope), `${v.name}: envelope`).toBe(-1);
    }
  });

  it('the generator reproduces the header of every vector, given the wrapped keys in the file', async () => {
    for (const v of vectors) {
      const built = await buildVector(scenario(v.name), replay(v.envelope));
      const end = Math.min(v.envelope.length, PREFIX_BYTES + v.envelope.readUInt32BE(MAGIC.length + 1));
      expect(firstDifference(built.envelope.subarray(0, end), v.envelope.subarray(0, end)), v.name).toBe(-1);
    }
  });
});

describe("FORMAT.md's worked example", () => {
  const format = readFileSync(join(VECTORS_ROOT, '..', 'FORMAT.md'), 'utf8');
  const begin = '<!-- begin generated: worked example -->';
  const end = '<!-- end generated: worked example -->';
  const generated = format.slice(format.indexOf(begin) + begin.length, format.indexOf(end)).trim();
  const v = vectors.find((x) => x.name === WORKED_EXAMPLE_VECTOR)!;

  /** Bytes of the indented dump block that follows `title` (offset, hex columns; `*` = zero lines). */
  function dumpAfter(title: string): Buffer {
    const lines = generated.slice(generated.indexOf(title)).split('\n').slice(2);
    const bytes: number[] = [];
    for (const line of lines) {
      if (!line.startsWith('    ')) break;
      const text = line.slice(4);
      if (text === '*') continue;
      const offset = Number.parseInt(text.slice(0, 4), 16);
      while (bytes.length < offset) bytes.push(0);
      expect(bytes.length, `${title}: offset ${text.slice(0, 4)}`).toBe(offset);
      for (const pair of text.slice(6, 53).trim().split(' ').filter(Boolean)) bytes.push(Number.parseInt(pair, 16));
    }
    return Buffer.from(bytes);
  }

  it('is the generator output for the committed vector (node packages/envelope/scripts/generate-vectors.ts --worked-example)', () => {
    expect(format.includes(begin) && format.includes(end)).toBe(true);
    expect(generated).toBe(workedExample(WORKED_EXAMPLE_VECTOR, v.envelope, v.dataKey).trim());
  });

  it('shows exactly the bytes of the committed header, manifest and payload tar header', async () => {
    const { headerBytes, bundle } = decryptVector(v.envelope, v.dataKey);
    expect(firstDifference(dumpAfter('Prefix and header'), headerBytes)).toBe(-1);
    const opened = await openerFor(v).open(v.envelope);
    expect(firstDifference(dumpAfter('`manifest.cbor`'), opened.manifestBytes)).toBe(-1);
    expect(firstDifference(dumpAfter("The payload's tar header"), bundle.subarray(0, 512))).toBe(-1);
  });
});

describe("FORMAT.md's batch worked example (section 15.12)", () => {
  const format = readFileSync(join(VECTORS_ROOT, '..', 'FORMAT.md'), 'utf8');
  const begin = '<!-- begin generated: batch worked example -->';
  const end = '<!-- end generated: batch worked example -->';

  it('is the generator output for the committed vector (node packages/envelope/scripts/generate-vectors.ts --batch-worked-example)', () => {
    const v = vectors.find((x) => x.name === BATCH_WORKED_EXAMPLE_VECTOR)!;
    expect(format.includes(begin) && format.includes(end)).toBe(true);
    const generated = format.slice(format.indexOf(begin) + begin.length, format.indexOf(end)).trim();
    const expected = batchWorkedExample(BATCH_WORKED_EXAMPLE_VECTOR, v.envelope, v.dataKey).trim();
    expect(generated).toBe(expected);
    expect(expected).toContain('r equals statement.root');
  });
});
