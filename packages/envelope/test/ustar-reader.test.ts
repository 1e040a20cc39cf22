import { describe, expect, it } from 'vitest';
import { SealpostError, needs } from '../src/errors.ts';
import { BLOCK, isSafeEntryName, readHeader, writeHeader } from '../src/bundle/ustar.ts';
import { prng } from '../scripts/fuzz.ts';

/** The reading readHeader must keep: write the header the stated fields give, compare bytes. */
function reference(block: Uint8Array): { name: string; size: number; mtimeSeconds: number } {
  needs(block.length === BLOCK, 'FORMAT_TRUNCATED', 'bundle ends inside a tar header');
  const nameEnd = block.indexOf(0);
  const name = Buffer.from(block.buffer, block.byteOffset, nameEnd === -1 || nameEnd > 100 ? 100 : nameEnd).toString('utf8');
  const octal = (offset: number) => {
    const text = Buffer.from(block.buffer, block.byteOffset + offset, 11).toString('latin1');
    needs(/^[0-7]+$/.test(text), 'BUNDLE_INVALID', 'tar header has a malformed number');
    return Number.parseInt(text, 8);
  };
  const size = octal(124);
  const mtimeSeconds = octal(136);
  needs(isSafeEntryName(name), 'BUNDLE_INVALID', 'tar entry has an unsafe or invalid name');
  const expected = Buffer.alloc(BLOCK);
  writeHeader(expected, 0, name, size, mtimeSeconds);
  needs(expected.equals(block), 'BUNDLE_INVALID', 'tar header is not a plain Sealpost ustar file header');
  return { name, size, mtimeSeconds };
}

const outcome = (read: (block: Uint8Array) => unknown, block: Uint8Array) => {
  try {
    return { value: read(block) };
  } catch (error) {
    if (!(error instanceof SealpostError)) throw error;
    return { code: error.code, message: error.message };
  }
};

describe('the in-place tar header reader', () => {
  it('accepts exactly the blocks writeHeader makes, with the same answer as writing and comparing, on 20,000 mutations', () => {
    const random = prng(61206);
    const int = (n: number) => Math.floor(random() * n);
    const names = ['manifest.cbor', 'statement.sig', 'proof.cbor', 'm1.json', 'é✓.txt', 'x'.repeat(100), 'a'.repeat(98) + 'é', 'cert-0.der'];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const block = Buffer.alloc(BLOCK);
      writeHeader(block, 0, names[int(names.length)]!, int(1 << 20), 1_765_000_000 + int(1000));
      const flips = int(3);
      for (let f = 0; f < flips; f++) {
        // Mostly in the fields that carry meaning, sometimes anywhere.
        const at = int(4) === 0 ? int(BLOCK) : int(160);
        block[at] = int(3) === 0 ? 0 : int(3) === 0 ? 0x30 + int(8) : int(256);
      }
      const expected = outcome(reference, block);
      expect(outcome(readHeader, block), block.subarray(0, 160).toString('hex')).toEqual(expected);
      if ('value' in expected) accepted++;
    }
    expect(accepted).toBeGreaterThan(500);
  });
});
