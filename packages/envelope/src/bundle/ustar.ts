import { isUtf8 } from 'node:buffer';
import { SealpostError, needs } from '../errors.ts';
import { isAsciiRange } from '../cbor.ts';

/**
 * The one tar dialect a bundle uses: POSIX ustar regular-file headers with fixed fields, which
 * GNU tar, bsdtar and every tar library read. Sealpost writes exactly one header for a given
 * (name, size, mtime), and reads a header only if it is byte-for-byte that header: no links,
 * directories, pax or GNU extensions, prefixes, owners or modes to interpret.
 */
export const BLOCK = 512;

const MAX_NAME_BYTES = 100;
const RESERVED = new Set(['.', '..']);
// Control characters, path separators and the characters Windows forbids in file names.
const FORBIDDEN = /[\u0000-\u001f\u007f/\\:*?"<>|]/;
// White space a name may not start or end with, listed rather than left to an engine's Unicode
// version (FORMAT.md section 6): ECMAScript's WhiteSpace and LineTerminator code points outside
// the control characters, which FORBIDDEN already excludes.
const EDGE_SPACE = /^[\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]|[\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]$/;

/** True when `name` is a safe bundle entry name: one path component, no control characters. */
export function isSafeEntryName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    Buffer.byteLength(name) <= MAX_NAME_BYTES &&
    !RESERVED.has(name) &&
    !FORBIDDEN.test(name) &&
    !EDGE_SPACE.test(name)
  );
}

/** Bytes a file of `size` bytes takes in the archive: header plus data padded to a block. */
export function entryBytes(size: number): number {
  return BLOCK + Math.ceil(size / BLOCK) * BLOCK;
}

function octal(target: Buffer, offset: number, width: number, value: number): void {
  target.write(value.toString(8).padStart(width - 1, '0'), offset, width - 1, 'latin1');
  target[offset + width - 1] = 0;
}

function sum(bytes: Buffer, from: number, to: number): number {
  let total = 0;
  for (let i = from; i < to; i++) total += bytes[i]!;
  return total;
}

/** The fixed fields of every header, with the checksum field as spaces (as it is summed). */
const TEMPLATE = (() => {
  const block = Buffer.alloc(BLOCK);
  octal(block, 100, 8, 0o644); // mode
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  block.write('        ', 148, 8, 'latin1'); // checksum, summed as spaces
  block[156] = 0x30; // typeflag '0': regular file
  block.write('ustar\u000000', 257, 8, 'latin1'); // magic "ustar" NUL, version "00"
  octal(block, 329, 8, 0); // devmajor
  octal(block, 337, 8, 0); // devminor
  return block;
})();
const TEMPLATE_SUM = sum(TEMPLATE, 0, BLOCK);

/**
 * Writes the ustar header of a regular file into `target` at `offset`: the fixed fields above,
 * then name, size and mtime, and the checksum (six octal digits, NUL, space).
 */
export function writeHeader(target: Buffer, offset: number, name: string, size: number, mtimeSeconds: number): void {
  TEMPLATE.copy(target, offset);
  const nameBytes = target.write(name, offset, MAX_NAME_BYTES, 'utf8');
  target.write(size.toString(8).padStart(11, '0'), offset + 124, 11, 'latin1');
  target.write(mtimeSeconds.toString(8).padStart(11, '0'), offset + 136, 11, 'latin1');
  const checksum = TEMPLATE_SUM + sum(target, offset, offset + nameBytes) + sum(target, offset + 124, offset + 135) + sum(target, offset + 136, offset + 147);
  target.write(checksum.toString(8).padStart(6, '0'), offset + 148, 6, 'latin1');
  target[offset + 154] = 0;
  target[offset + 155] = 0x20;
}

/** The entry a header block describes. */
export interface EntryHeader {
  readonly name: string;
  readonly size: number;
  readonly mtimeSeconds: number;
}

/** The value of the `digits` octal digits at `offset`, or -1 unless all of them are octal digits. */
function readOctal(block: Uint8Array, offset: number, digits = 11): number {
  let value = 0;
  for (let i = offset; i < offset + digits; i++) {
    const digit = block[i]! - 0x30;
    if (digit < 0 || digit > 7) return -1;
    value = value * 8 + digit;
  }
  return value;
}

/** True when `block[from..to)` equals the same range of {@link TEMPLATE}. */
const likeTemplate = (block: Buffer, from: number, to: number) => block.compare(TEMPLATE, from, to, from, to) === 0;

/**
 * Reads a header block and accepts it only if it is exactly the header {@link writeHeader}
 * makes for the name, size and mtime it states. Checked in place, field by field, rather than
 * by writing that header and comparing: the same bytes are accepted, without a block and a
 * dozen strings per entry.
 */
export function readHeader(block: Uint8Array): EntryHeader {
  needs(block.length === BLOCK, 'FORMAT_TRUNCATED', 'bundle ends inside a tar header');
  const bytes = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  const nameEnd = bytes.indexOf(0);
  const nameBytes = nameEnd === -1 || nameEnd > MAX_NAME_BYTES ? MAX_NAME_BYTES : nameEnd;
  const name = bytes.toString('utf8', 0, nameBytes);
  const size = readOctal(bytes, 124);
  const mtimeSeconds = readOctal(bytes, 136);
  needs(size >= 0 && mtimeSeconds >= 0, 'BUNDLE_INVALID', 'tar header has a malformed number');
  needs(isSafeEntryName(name), 'BUNDLE_INVALID', 'tar entry has an unsafe or invalid name');
  // What writeHeader writes for (name, size, mtime): the name's own UTF-8 bytes then zeros, the
  // template's fixed fields, both numbers NUL-terminated, and the checksum over all of it.
  const checksum = TEMPLATE_SUM + sum(bytes, 0, nameBytes) + sum(bytes, 124, 135) + sum(bytes, 136, 147);
  const exact =
    (isAsciiRange(bytes, 0, nameBytes) || isUtf8(bytes.subarray(0, nameBytes))) &&
    ZERO_BLOCK.compare(bytes, nameBytes, MAX_NAME_BYTES, 0, MAX_NAME_BYTES - nameBytes) === 0 &&
    likeTemplate(bytes, MAX_NAME_BYTES, 124) &&
    bytes[135] === 0 &&
    bytes[147] === 0 &&
    // Six octal digits, zero-padded: the checksum (at most 512 x 255) always fits them.
    readOctal(bytes, 148, 6) === checksum &&
    bytes[154] === 0 &&
    bytes[155] === 0x20 &&
    likeTemplate(bytes, 156, BLOCK);
  if (!exact) {
    throw new SealpostError('BUNDLE_INVALID', 'tar header is not a plain Sealpost ustar file header');
  }
  return { name, size, mtimeSeconds };
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);

/** True when every byte of `bytes` is zero (compared a block at a time, natively, without views). */
export function isZero(bytes: Uint8Array): boolean {
  for (let offset = 0; offset < bytes.length; offset += BLOCK) {
    const n = Math.min(BLOCK, bytes.length - offset);
    if (ZERO_BLOCK.compare(bytes, offset, offset + n, 0, n) !== 0) return false;
  }
  return true;
}
