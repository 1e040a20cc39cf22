import { isUtf8 } from 'node:buffer';
import { decode } from 'cborg';
import { SealpostError, type ErrorCode } from './errors.ts';

/**
 * Deterministic CBOR (RFC 8949 section 4.2.1, core deterministic encoding) for the subset the
 * format uses: unsigned integers, byte strings, text strings, arrays, and maps with text keys.
 * Integers and lengths take their shortest form, lengths are definite, and map keys are sorted
 * by their encoded bytes — for text keys that is shorter first, then bytewise.
 *
 * Encoding is written here rather than taken from cborg because it runs twice per message on
 * the hot path (header and manifest) and this subset encoder is several times faster; decoding
 * untrusted bytes stays with cborg (strict mode), and every decoded value must re-encode to
 * exactly the bytes it came from.
 */
export type CborValue = number | string | Uint8Array | EncodedCbor | readonly CborValue[] | { readonly [key: string]: CborValue };

/**
 * A value already in deterministic CBOR, written as it is: lets a caller encode a part that
 * stays the same across messages (the recipient list) once.
 */
export class EncodedCbor {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

const encodedOnce = new WeakMap<object, EncodedCbor>();

/**
 * The encoding of `value` as `toCbor` maps it, computed once per object when the object is
 * frozen (so it cannot change under the cache): for parts that the same object brings to many
 * messages. An unfrozen object is encoded each time.
 */
export function encodeOnce<T extends object>(value: T, toCbor: (value: T) => CborValue): CborValue {
  if (!Object.isFrozen(value)) return toCbor(value);
  let encoded = encodedOnce.get(value);
  if (!encoded) {
    encoded = new EncodedCbor(encodeCanonical(toCbor(value)));
    encodedOnce.set(value, encoded);
  }
  return encoded;
}

/** Writes into one growing buffer: encoding allocates once or twice per value, not per item. */
class Writer {
  buffer = Buffer.allocUnsafe(1024);
  length = 0;

  reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  head(major: number, value: number): void {
    this.reserve(9);
    const b = this.buffer;
    const m = major << 5;
    if (value < 24) b[this.length++] = m | value;
    else if (value < 0x100) {
      b[this.length++] = m | 24;
      b[this.length++] = value;
    } else if (value < 0x10000) {
      b[this.length++] = m | 25;
      b.writeUInt16BE(value, this.length);
      this.length += 2;
    } else if (value < 0x100000000) {
      b[this.length++] = m | 26;
      b.writeUInt32BE(value, this.length);
      this.length += 4;
    } else {
      b[this.length++] = m | 27;
      b.writeUInt32BE(Math.floor(value / 0x100000000), this.length);
      b.writeUInt32BE(value >>> 0, this.length + 4);
      this.length += 8;
    }
  }

  bytes(major: number, bytes: Uint8Array): void {
    this.head(major, bytes.length);
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  text(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.head(3, length);
    this.reserve(length);
    this.length += this.buffer.write(value, this.length, length, 'utf8');
  }
}

/** Map keys in RFC 8949 order: for text keys, shorter UTF-8 first, then bytewise. */
function compareKeys(a: string, b: string): number {
  const la = Buffer.byteLength(a, 'utf8');
  const lb = Buffer.byteLength(b, 'utf8');
  if (la !== lb) return la - lb;
  // ASCII strings compare bytewise as JS strings; others compare as UTF-8 bytes.
  if (la === a.length && lb === b.length) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function write(w: Writer, value: unknown): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new TypeError('only unsigned safe integers are encodable');
    w.head(0, value);
  } else if (typeof value === 'string') {
    w.text(value);
  } else if (value instanceof Uint8Array) {
    w.bytes(2, value);
  } else if (value instanceof EncodedCbor) {
    w.raw(value.bytes);
  } else if (Array.isArray(value)) {
    w.head(4, value.length);
    for (const item of value) write(w, item);
  } else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort(compareKeys);
    w.head(5, keys.length);
    for (const key of keys) {
      w.text(key);
      write(w, (value as Record<string, unknown>)[key]);
    }
  } else {
    throw new TypeError(`${typeof value} values are not encodable`);
  }
}

/** Encodes `value` in deterministic CBOR; throws TypeError for values outside the subset. */
export function encodeCanonical(value: CborValue): Buffer {
  const w = new Writer();
  write(w, value);
  return w.buffer.subarray(0, w.length);
}

// Not cborg's `strict`: a long-form integer or length must surface as FORMAT_NONCANONICAL
// through the re-encoding check below, not as malformed CBOR.
const STRICT_DECODE = {
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  useMaps: false,
  tags: [],
} as const;

/** Deepest nesting accepted: the top-level item is at depth 1, an item inside an array or map one deeper than it. */
export const MAX_CBOR_DEPTH = 16;

/**
 * Walks one item without building it and throws `code` unless it is in the format's subset
 * (FORMAT.md 1.1): unsigned integers up to 2^53 − 1, definite-length byte strings, text strings
 * of valid UTF-8, arrays, and maps whose keys are text; nested at most {@link MAX_CBOR_DEPTH}
 * deep; nothing after the item. Iterative, so no input can exhaust the stack.
 */
function checkSubset(bytes: Uint8Array, what: string, code: ErrorCode): void {
  const fail = (why: string): never => {
    throw new SealpostError(code, `${what} is not valid CBOR of the format's subset: ${why}`);
  };
  // Items still expected at each open level; a map level expects key, value, key, value...
  const pending: number[] = [1];
  const isMap: boolean[] = [false];
  let offset = 0;
  while (pending.length > 0) {
    if (pending[pending.length - 1] === 0) {
      pending.pop();
      isMap.pop();
      continue;
    }
    const level = pending.length - 1;
    const isKey = isMap[level]! && pending[level]! % 2 === 0;
    pending[level]!--;
    if (offset >= bytes.length) fail('it ends early');
    const initial = bytes[offset++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 1 || major === 6 || major === 7) fail(`major type ${major} (negative integer, tag, float or simple value)`);
    if (info >= 28) fail('an indefinite or reserved length');
    let value = info;
    if (info >= 24) {
      const size = 2 ** (info - 24);
      if (offset + size > bytes.length) fail('it ends early');
      value = 0;
      for (let i = 0; i < size; i++) value = value * 256 + bytes[offset + i]!;
      offset += size;
      if (!Number.isSafeInteger(value)) fail('an integer or length above 2^53 - 1');
    }
    if (isKey && major !== 3) fail('a map key that is not text');
    if (major === 2 || major === 3) {
      if (value > bytes.length - offset) fail('it ends early');
      if (major === 3 && !isUtf8(bytes.subarray(offset, offset + value))) fail('text that is not UTF-8');
      offset += value;
    } else if (major === 4 || major === 5) {
      const items = major === 5 ? value * 2 : value;
      // Every item takes at least one byte: a count the rest cannot hold is cut short.
      if (items > bytes.length - offset) fail('it ends early');
      if (pending.length + 1 > MAX_CBOR_DEPTH && items > 0) fail(`nesting deeper than ${MAX_CBOR_DEPTH}`);
      pending.push(items);
      isMap.push(major === 5);
    }
  }
  if (offset !== bytes.length) fail('bytes after the item');
}

/**
 * Decodes one CBOR item and accepts it only if it is in the format's subset (invalid: `code`)
 * and exactly the deterministic encoding of what it decodes to (FORMAT_NONCANONICAL). The subset
 * check rejects everything outside it, floats and invalid UTF-8 included; the decoder then
 * rejects duplicate map keys (`code`); re-encoding the value and comparing bytes rejects
 * unsorted keys and long-form integers and lengths. So one message has exactly one encoding,
 * and a signature never covers two readings of the same bytes.
 *
 * @param what names the structure in error messages (`header`, `manifest`).
 * @param code the error code for invalid input.
 */
export function decodeCanonical(bytes: Uint8Array, what: string, code: ErrorCode): unknown {
  checkSubset(bytes, what, code);
  let value: unknown;
  try {
    value = decode(bytes, STRICT_DECODE);
  } catch (cause) {
    throw new SealpostError(code, `${what} is not valid CBOR`, { cause });
  }
  let again: Buffer;
  try {
    again = encodeCanonical(value as CborValue);
  } catch (cause) {
    throw new SealpostError(code, `${what} holds values outside the format`, { cause });
  }
  if (!again.equals(bytes)) {
    throw new SealpostError('FORMAT_NONCANONICAL', `${what} is not in deterministic CBOR encoding`);
  }
  return value;
}
