import { isUtf8 } from 'node:buffer';
import { SealpostError, type ErrorCode } from './errors.ts';

/**
 * Deterministic CBOR (RFC 8949 section 4.2.1, core deterministic encoding) for the subset the
 * format uses: unsigned integers, byte strings, text strings, arrays, and maps with text keys.
 * Integers and lengths take their shortest form, lengths are definite, and map keys are sorted
 * by their encoded bytes — for text keys that is shorter first, then bytewise.
 *
 * Encoding and decoding are written here rather than taken from a general CBOR library because
 * they run several times per message on the hot path (header, manifest, batch proof) and these
 * subset codecs are several times faster. The decoder reads untrusted bytes in two passes: an
 * iterative walk that admits only the subset (with size and depth caps), then a builder that
 * rejects repeated keys and any departure from the deterministic encoding. A test
 * (test/cbor-decoder.test.ts) checks that it reads mutated input exactly as cborg, an
 * independent decoder, followed by a re-encoding check does.
 */
export type CborValue = number | string | Uint8Array | EncodedCbor | ShapedMap | readonly CborValue[] | { readonly [key: string]: CborValue };

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

/**
 * The fixed key set of one of the format's maps (header, manifest, proof...), sorted and encoded
 * once: a map of this shape is then written without sorting or encoding its keys per message.
 */
export class MapShape<K extends string> {
  readonly keys: readonly K[];
  readonly encodedKeys: readonly Buffer[];
  constructor(keys: readonly K[]) {
    this.keys = Object.freeze([...keys].sort(compareKeys));
    this.encodedKeys = this.keys.map((key) => encodeCanonical(key));
  }

  /** The map of this shape holding `values` (one per key), encoded exactly as the plain object would be. */
  of(values: { readonly [P in K]: CborValue }): ShapedMap {
    return new ShapedMap(this, values);
  }
}

/** A map of a known {@link MapShape}. */
export class ShapedMap {
  readonly shape: MapShape<string>;
  readonly values: { readonly [key: string]: CborValue };
  constructor(shape: MapShape<string>, values: { readonly [key: string]: CborValue }) {
    this.shape = shape;
    this.values = values;
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

// The sorted order of key lists seen before: the format's maps have a few fixed shapes (header,
// manifest, payload, sender, statement, proof), sorted once each instead of once per message.
const SORTED_SHAPES_MAX = 256;
const sortedShapes = new Map<string, readonly string[]>();

function sortedKeys(value: object): readonly string[] {
  const keys = Object.keys(value);
  if (keys.length < 2) return keys;
  const shape = keys.join('\u0000');
  const known = sortedShapes.get(shape);
  // Keys may hold NUL themselves, so a shape may name another key list: used only if it holds
  // exactly this object's keys (as many, each one its own).
  if (known && known.length === keys.length && known.every((key) => Object.hasOwn(value, key))) return known;
  const sorted = keys.sort(compareKeys);
  // Bounded: arbitrary metadata keys must not grow it without limit.
  if (!known && sortedShapes.size < SORTED_SHAPES_MAX) sortedShapes.set(shape, sorted);
  return sorted;
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
  } else if (value instanceof ShapedMap) {
    const { keys, encodedKeys } = value.shape;
    w.head(5, keys.length);
    for (let i = 0; i < keys.length; i++) {
      w.raw(encodedKeys[i]!);
      write(w, value.values[keys[i]!]);
    }
  } else if (Array.isArray(value)) {
    w.head(4, value.length);
    for (const item of value) write(w, item);
  } else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = sortedKeys(value);
    w.head(5, keys.length);
    for (const key of keys) {
      w.text(key);
      write(w, (value as Record<string, unknown>)[key]);
    }
  } else {
    throw new TypeError(`${typeof value} values are not encodable`);
  }
}

// One writer for every encoding: encoding is synchronous and never re-entered, so each call
// writes into the same buffer and copies out exactly its bytes (a fresh 1 KiB per call used the
// Buffer pool up fast, and each result kept all of it alive).
const scratch = new Writer();

/** Encodes `value` in deterministic CBOR; throws TypeError for values outside the subset. */
export function encodeCanonical(value: CborValue): Buffer {
  scratch.length = 0;
  try {
    write(scratch, value);
  } catch (error) {
    // A failed encoding may have grown the buffer without bound (a huge value): start small again.
    scratch.buffer = Buffer.allocUnsafe(1024);
    throw error;
  }
  const out = Buffer.allocUnsafe(scratch.length);
  scratch.buffer.copy(out, 0, 0, scratch.length);
  // A rare large encoding (a long recipient list) must not pin its buffer for good.
  if (scratch.buffer.length > 64 * 1024) scratch.buffer = Buffer.allocUnsafe(1024);
  return out;
}

/** Deepest nesting accepted: the top-level item is at depth 1, an item inside an array or map one deeper than it. */
export const MAX_CBOR_DEPTH = 16;

/** True when `bytes[from..to)` is ASCII: valid UTF-8 without a native call (most of the format's text is). */
export function isAsciiRange(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

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
      // Short text (keys, ids, names) is checked for ASCII here first; the rest natively.
      if (major === 3 && !(value <= 64 && isAsciiRange(bytes, offset, offset + value)) && !isUtf8(bytes.subarray(offset, offset + value))) fail('text that is not UTF-8');
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

/** Reads a head's argument at `offset` (after the initial byte); the subset check has bounded it. */
function readArgument(bytes: Uint8Array, offset: number, info: number): number {
  if (info < 24) return info;
  const size = 2 ** (info - 24);
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + bytes[offset + i]!;
  return value;
}

/** The smallest argument each long head form may carry: below it the head is not the shortest. */
const SHORTEST: Readonly<Record<number, number>> = { 24: 24, 25: 0x100, 26: 0x10000, 27: 0x100000000 };

/**
 * Builds the value of an item that {@link checkSubset} accepted, in one pass: rejects a repeated
 * map key (`code`) and notes, without stopping, the first departure from the deterministic
 * encoding (a long-form head, map keys out of order), which the caller reports once the whole
 * item has decoded: so a repeated key anywhere is `code` whatever else is wrong, as it always was.
 * Depth is bounded by the subset check ({@link MAX_CBOR_DEPTH}), so the recursion is too.
 */
class SubsetDecoder {
  offset = 0;
  canonical = true;
  readonly bytes: Buffer;
  /** The same bytes as a plain Uint8Array, whose `slice` copies into a plain Uint8Array. */
  readonly plain: Uint8Array;
  readonly what: string;
  readonly code: ErrorCode;
  constructor(bytes: Uint8Array, what: string, code: ErrorCode) {
    this.bytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.what = what;
    this.code = code;
  }

  item(): unknown {
    const bytes = this.bytes;
    const initial = bytes[this.offset++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    const value = readArgument(bytes, this.offset, info);
    if (info >= 24) {
      this.offset += 2 ** (info - 24);
      if (value < SHORTEST[info]!) this.canonical = false;
    }
    switch (major) {
      case 0:
        return value;
      case 2: {
        const start = this.offset;
        this.offset += value;
        // A copy of its own, as the readers have always had: nothing decoded keeps the input alive.
        return this.plain.slice(start, this.offset);
      }
      case 3: {
        const start = this.offset;
        this.offset += value;
        // Valid UTF-8 (the subset check saw to it), decoded as it is: a leading BOM stays.
        return bytes.toString('utf8', start, this.offset);
      }
      case 4: {
        const list: unknown[] = new Array(value);
        for (let i = 0; i < value; i++) list[i] = this.item();
        return list;
      }
      default:
        return this.map(value);
    }
  }

  map(entries: number): Record<string, unknown> {
    const bytes = this.bytes;
    const map: Record<string, unknown> = {};
    let previousStart = 0;
    let previousEnd = 0;
    for (let i = 0; i < entries; i++) {
      const keyStart = this.offset;
      const key = this.item() as string;
      const keyEnd = this.offset;
      if (i > 0) {
        // Deterministic order is by the keys' encoded bytes: shorter first, then bytewise.
        const order = keyEnd - keyStart - (previousEnd - previousStart) || compareBytes(bytes, keyStart, keyEnd, previousStart, previousEnd);
        if (order < 0) this.canonical = false;
        // While everything is deterministic the keys ascend, and a repeat can only be the key just
        // before (same bytes); once not (unsorted keys, a long-form head), any earlier key may be.
        if (order === 0 || (!this.canonical && Object.hasOwn(map, key))) {
          throw new SealpostError(this.code, `${this.what} is not valid CBOR`, { cause: new Error(`repeated map key ${JSON.stringify(key)}`) });
        }
      }
      previousStart = keyStart;
      previousEnd = keyEnd;
      const value = this.item();
      // An own property even for "__proto__": an assignment would set the object's prototype instead.
      if (key === '__proto__') Object.defineProperty(map, key, { value, configurable: true, enumerable: true, writable: true });
      else map[key] = value;
    }
    return map;
  }
}

function compareBytes(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  for (let a = aStart, b = bStart; a < aEnd && b < bEnd; a++, b++) {
    if (bytes[a] !== bytes[b]) return bytes[a]! - bytes[b]!;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/**
 * Decodes one CBOR item and accepts it only if it is in the format's subset (invalid: `code`)
 * and exactly the deterministic encoding of what it decodes to (FORMAT_NONCANONICAL). The subset
 * check rejects everything outside it, floats and invalid UTF-8 included; the decoder then
 * rejects repeated map keys (`code`), and long-form integers and lengths and unsorted keys
 * (FORMAT_NONCANONICAL). So one message has exactly one encoding, and a signature never covers
 * two readings of the same bytes.
 *
 * @param what names the structure in error messages (`header`, `manifest`).
 * @param code the error code for invalid input.
 */
export function decodeCanonical(bytes: Uint8Array, what: string, code: ErrorCode): unknown {
  checkSubset(bytes, what, code);
  const decoder = new SubsetDecoder(bytes, what, code);
  const value = decoder.item();
  if (!decoder.canonical) {
    throw new SealpostError('FORMAT_NONCANONICAL', `${what} is not in deterministic CBOR encoding`);
  }
  return value;
}
