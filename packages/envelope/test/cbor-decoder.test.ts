import { decode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, type CborValue } from '../src/cbor.ts';
import { SealpostError, isSealpostError } from '../src/errors.ts';
import { prng } from '../scripts/fuzz.ts';

/**
 * The reading the subset decoder must reproduce, built on cborg, an independent decoder: the
 * subset walk, then cborg's strict decode (repeated keys rejected), then a re-encoding compared
 * byte for byte with the input (anything else is non-canonical).
 */
function reference(bytes: Uint8Array): { value: unknown } | { code: string } {
  try {
    // The subset walk is shared: decodeCanonical fails on it first, with the same code and words.
    decodeCanonical(bytes, 'item', 'FORMAT_INVALID');
  } catch (error) {
    if (!isSealpostError(error)) throw error;
    if (error.code === 'FORMAT_INVALID' && error.message.includes("format's subset")) return { code: error.code };
  }
  let value: unknown;
  try {
    value = decode(bytes, { rejectDuplicateMapKeys: true, allowIndefinite: false, allowUndefined: false, allowInfinity: false, allowNaN: false, allowBigInt: false, useMaps: false, tags: [] });
  } catch {
    return { code: 'FORMAT_INVALID' };
  }
  let again: Buffer;
  try {
    again = encodeCanonical(value as CborValue);
  } catch {
    return { code: 'FORMAT_INVALID' };
  }
  return again.equals(bytes) ? { value } : { code: 'FORMAT_NONCANONICAL' };
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The reference's answer, but for one departure: cborg's UTF-8 decoding drops a leading U+FEFF,
 * so the reference re-encodes such a text without it and calls exact input non-canonical, while
 * the subset decoder reads the text as written. There the decoder's value must re-encode to
 * exactly the input.
 */
function expected(bytes: Buffer): { value: unknown } | { code: string } {
  const answer = reference(bytes);
  if ('code' in answer && answer.code === 'FORMAT_NONCANONICAL' && bytes.includes(BOM)) {
    const read = actual(bytes);
    if ('value' in read && encodeCanonical(read.value as CborValue).equals(bytes)) return read;
  }
  return answer;
}

function actual(bytes: Uint8Array): { value: unknown } | { code: string } {
  try {
    return { value: decodeCanonical(bytes, 'item', 'FORMAT_INVALID') };
  } catch (error) {
    if (!(error instanceof SealpostError)) throw error;
    return { code: error.code };
  }
}

const samples: CborValue[] = [
  0,
  23,
  24,
  255,
  256,
  65_535,
  65_536,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  '',
  'a',
  '\ufeffbom',
  'é✓𝄞',
  new Uint8Array(0),
  new Uint8Array([1, 2, 3]),
  [1, 'two', new Uint8Array([3]), [4, [5]]],
  { a: 1, bb: 2, c: 'x', aa: [1, 2], é: { z: new Uint8Array(40), y: 'v' } },
  { recipients: [{ alg: 'RSAES_OAEP_SHA_256', key: new Uint8Array(256).fill(7), kid: 'k'.repeat(300) }], salt: new Uint8Array(32), frameSize: 65_536 },
];

describe('the subset decoder reads exactly as cborg plus a re-encoding check', () => {
  it('decodes every deterministic encoding back to its value, byte strings as plain Uint8Array copies', () => {
    for (const sample of samples) {
      const bytes = encodeCanonical(sample);
      const result = actual(bytes);
      expect(result).toEqual(expected(bytes));
      expect(result).toEqual({ value: sample instanceof Uint8Array ? new Uint8Array(sample) : sample });
    }
    const bytes = actual(encodeCanonical({ b: new Uint8Array([9, 8]) })) as { value: { b: Uint8Array } };
    expect(Buffer.isBuffer(bytes.value.b)).toBe(false);
    expect(bytes.value.b.buffer.byteLength).toBe(2);
  });

  it('reads a text that starts with U+FEFF as written, so a manifest whose metadata starts with one opens', () => {
    expect(actual(encodeCanonical({ note: '\ufeffhello' }))).toEqual({ value: { note: '\ufeffhello' } });
  });

  it('on 20,000 mutations (flipped, inserted, deleted bytes) gives the same value or the same error code', () => {
    const random = prng(20261206);
    const int = (n: number) => Math.floor(random() * n);
    const originals = samples.map((s) => encodeCanonical(s));
    // Hand-made departures: long-form heads, unsorted and repeated keys, "__proto__" keys.
    originals.push(
      Buffer.from('1817', 'hex'),
      Buffer.from('190017', 'hex'),
      Buffer.from('a2616201616102', 'hex'),
      Buffer.from('a2616101616102', 'hex'),
      Buffer.from('a3616101616202616103', 'hex'),
      Buffer.from('a3616201616102616203', 'hex'),
      Buffer.from('a1695f5f70726f746f5f5fa0', 'hex'),
      Buffer.from('a1695f5f70726f746f5f5f01', 'hex'),
      Buffer.from('a2695f5f70726f746f5f5f01695f5f70726f746f5f5f02', 'hex'),
    );
    let checked = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = Buffer.from(originals[int(originals.length)]!);
      let mutated: Buffer = input;
      const kind = int(3);
      const at = int(Math.max(1, input.length));
      if (kind === 0 && input.length > 0) mutated[at] = int(256);
      else if (kind === 1) mutated = Buffer.concat([input.subarray(0, at), Buffer.of(int(256)), input.subarray(at)]);
      else mutated = Buffer.concat([input.subarray(0, at), input.subarray(at + 1)]);
      expect(actual(mutated), mutated.toString('hex')).toEqual(expected(mutated));
      checked++;
    }
    expect(checked).toBe(20_000);
    for (const original of originals.slice(samples.length)) expect(actual(original), original.toString('hex')).toEqual(expected(original));
  });
});
