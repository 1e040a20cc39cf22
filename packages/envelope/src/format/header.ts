import { MapShape, decodeCanonical, encodeCanonical, encodeOnce } from '../cbor.ts';
import { SealpostError, needs, type ErrorCode } from '../errors.ts';
import { isWrappingAlgorithm, WRAPPING_ALGORITHMS } from '../algorithms.ts';
import type { WrappingAlgorithm } from '../keys/types.ts';
import type { Limits } from '../limits.ts';
import { sha256 } from '../sha256.ts';

// One-shot hashing: for a header's few hundred bytes it costs less than a Hash object's set-up.

/** The first eight bytes of every envelope. */
export const MAGIC = Buffer.from('SEALPOST', 'latin1');
/** The one format version this code reads and writes. */
export const VERSION = 1;
/** Magic, version byte and the 32-bit header length. */
export const PREFIX_BYTES = MAGIC.length + 1 + 4;

/** Frame sizes are powers of two in this range (1 KiB to 4 MiB). */
export const MIN_FRAME_SIZE = 1024;
export const MAX_FRAME_SIZE = 4 * 1024 * 1024;
/** Default plaintext bytes per frame. */
export const DEFAULT_FRAME_SIZE = 64 * 1024;

export const SALT_BYTES = 32;
export const COMMITMENT_BYTES = 32;
const MAX_KEY_ID_BYTES = 2048;

/** Compression applied to the bundle before encryption. */
export type Compression = 'none' | 'gzip';

/** One recipient's copy of the data key. */
export interface RecipientEntry {
  readonly keyId: string;
  readonly algorithm: WrappingAlgorithm;
  readonly wrappedKey: Uint8Array;
}

/** The decoded envelope header. Readable without any key: nothing in it is secret. */
export interface EnvelopeHeader {
  readonly recipients: readonly RecipientEntry[];
  readonly salt: Uint8Array;
  readonly commitment: Uint8Array;
  readonly frameSize: number;
  readonly compression: Compression;
}

/** A parsed header with the bytes it was read from. */
export interface ParsedHeader {
  readonly header: EnvelopeHeader;
  /** Length of prefix plus header CBOR: where the first frame starts. */
  readonly length: number;
  /** SHA-256 of the prefix and header bytes, bound into every frame as AAD. */
  readonly hash: Buffer;
}

/** True when `size` is an allowed frame size. */
export function isValidFrameSize(size: number): boolean {
  return Number.isInteger(size) && size >= MIN_FRAME_SIZE && size <= MAX_FRAME_SIZE && (size & (size - 1)) === 0;
}

// The header map's keys, sorted and encoded once.
const HEADER = new MapShape(['commitment', 'compression', 'frameSize', 'recipients', 'salt']);

/** Encodes prefix and header; returns the bytes and their hash. */
export function encodeHeader(header: EnvelopeHeader): { bytes: Buffer; hash: Buffer } {
  const cbor = encodeCanonical(
    HEADER.of({
      compression: header.compression,
      commitment: header.commitment,
      frameSize: header.frameSize,
      // A reused data key brings the same recipient list to every message it seals: encoded once.
      recipients: encodeOnce(header.recipients, (list) => list.map((r) => ({ alg: r.algorithm, key: r.wrappedKey, kid: r.keyId }))),
      salt: header.salt,
    }),
  );
  const bytes = Buffer.allocUnsafe(PREFIX_BYTES + cbor.length);
  MAGIC.copy(bytes, 0);
  bytes[MAGIC.length] = VERSION;
  bytes.writeUInt32BE(cbor.length, MAGIC.length + 1);
  bytes.set(cbor, PREFIX_BYTES);
  return { bytes, hash: sha256(bytes) };
}

/**
 * Checks magic and version and returns the header length announced by the prefix.
 * `bytes` may be shorter than the prefix only when the input really ended there.
 */
export function readPrefix(bytes: Uint8Array, limits: Limits): number {
  const have = Math.min(bytes.length, MAGIC.length);
  needs(MAGIC.subarray(0, have).equals(bytes.subarray(0, have)), 'FORMAT_MAGIC');
  needs(bytes.length > MAGIC.length, 'FORMAT_TRUNCATED', 'envelope ends inside its prefix');
  const version = bytes[MAGIC.length];
  needs(version === VERSION, 'FORMAT_VERSION', `unsupported envelope version ${String(version)}`);
  needs(bytes.length >= PREFIX_BYTES, 'FORMAT_TRUNCATED', 'envelope ends inside its prefix');
  const length = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(MAGIC.length + 1);
  needs(length > 0, 'FORMAT_INVALID', 'empty header');
  needs(length <= limits.maxHeaderBytes, 'LIMIT_EXCEEDED', `header of ${length} bytes exceeds maxHeaderBytes (${limits.maxHeaderBytes})`);
  return length;
}

/**
 * Parses prefix and header from the start of `bytes` (which may hold more: the frames).
 * Checks, before any cryptography: magic, version, header size limit, canonical CBOR, exactly
 * the known fields with their types and sizes, and the recipient count limit.
 */
export function parseHeader(bytes: Uint8Array, limits: Limits): ParsedHeader {
  const cborLength = readPrefix(bytes, limits);
  const length = PREFIX_BYTES + cborLength;
  needs(bytes.length >= length, 'FORMAT_TRUNCATED', 'envelope ends inside its header');
  const header = decodeHeaderCbor(bytes.subarray(PREFIX_BYTES, length), limits);
  return { header, length, hash: sha256(bytes.subarray(0, length)) };
}

function decodeHeaderCbor(cbor: Uint8Array, limits: Limits): EnvelopeHeader {
  const value = decodeCanonical(cbor, 'header', 'FORMAT_INVALID');
  const map = expectMap(value, ['commitment', 'compression', 'frameSize', 'recipients', 'salt'], 'header');
  const { compression, commitment, frameSize, recipients, salt } = map;
  needs(compression === 'none' || compression === 'gzip', 'FORMAT_INVALID', 'header.compression must be "none" or "gzip"');
  needs(isBytes(salt, SALT_BYTES), 'FORMAT_INVALID', `header.salt must be ${SALT_BYTES} bytes`);
  needs(isBytes(commitment, COMMITMENT_BYTES), 'FORMAT_INVALID', `header.commitment must be ${COMMITMENT_BYTES} bytes`);
  needs(typeof frameSize === 'number' && isValidFrameSize(frameSize), 'FORMAT_INVALID', 'header.frameSize must be a power of two from 1 KiB to 4 MiB');
  needs(Array.isArray(recipients) && recipients.length > 0, 'FORMAT_INVALID', 'header.recipients must be a non-empty array');
  needs(recipients.length <= limits.maxRecipients, 'LIMIT_EXCEEDED', `${recipients.length} recipients exceed maxRecipients (${limits.maxRecipients})`);
  const entries = recipients.map((entry, index) => decodeRecipient(entry, index));
  // One entry per key: a reader tries each of its keys at most once, and an entry is never ambiguous.
  needs(entries.length === 1 || new Set(entries.map((e) => e.keyId)).size === entries.length, 'FORMAT_INVALID', 'header.recipients must name distinct keys');
  return { compression, commitment, frameSize, salt, recipients: entries };
}

function decodeRecipient(value: unknown, index: number): RecipientEntry {
  const where = `header.recipients[${index}]`;
  const { alg, key, kid } = expectMap(value, ['alg', 'key', 'kid'], where);
  needs(isKeyId(kid), 'FORMAT_INVALID', `${where}.kid must be a non-empty string of at most ${MAX_KEY_ID_BYTES} bytes`);
  needs(isWrappingAlgorithm(alg), 'FORMAT_INVALID', `${where}.alg is not a supported wrapping algorithm`);
  const sizes = WRAPPING_ALGORITHMS[alg].modulusBits.map((bits) => bits / 8);
  needs(key instanceof Uint8Array && sizes.includes(key.length), 'FORMAT_INVALID', `${where}.key must be ${sizes.join(', ')} bytes`);
  return { keyId: kid, algorithm: alg, wrappedKey: key };
}

/** Checks that `value` is a plain map with exactly `keys` and returns it. */
export function expectMap(value: unknown, keys: readonly string[], where: string, code: ErrorCode = 'FORMAT_INVALID'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new SealpostError(code, `${where} must be a map`);
  }
  const actual = Object.keys(value);
  needs(actual.length === keys.length && keys.every((k) => Object.hasOwn(value, k)), code, `${where} must have exactly the fields ${keys.join(', ')}`);
  return value as Record<string, unknown>;
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

/** True when `value` is a usable key id: a non-empty string of bounded length. */
export function isKeyId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && Buffer.byteLength(value) <= MAX_KEY_ID_BYTES;
}
