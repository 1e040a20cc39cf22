import { SealpostError, needs } from '../errors.ts';
import type { Limits } from '../limits.ts';
import { BLOCK, entryBytes, isZero, readHeader, writeHeader } from './ustar.ts';

/** Tar entry names of the signed manifest and its signature. */
export const MANIFEST_ENTRY = 'manifest.cbor';
export const SIGNATURE_ENTRY = 'manifest.sig';
/** Largest DER ECDSA signature a bundle may carry (P-521 signatures are at most 139 bytes). */
export const MAX_SIGNATURE_BYTES = 256;
/** Most certificate entries a bundle may carry: the sender's leaf and its intermediates. */
export const MAX_CERTIFICATES = 8;
/** Largest DER certificate a bundle may carry. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

/** Tar entry name of the sender's certificate at `position` (0 is the leaf). */
export function certificateEntryName(position: number): string {
  return `cert-${position}.der`;
}

/** The three parts of a bundle. */
export interface BundleParts {
  readonly payloadName: string;
  readonly payload: Uint8Array;
  readonly manifest: Uint8Array;
  readonly signature: Uint8Array;
  /** The sender's certificate chain, DER, leaf first; empty when the sender sent none. */
  readonly certificates?: readonly Uint8Array[];
}

/** The tar header of the payload entry: the start of every bundle. */
export function bundleHead(payloadName: string, payloadSize: number, mtimeSeconds: number): Buffer {
  const head = Buffer.allocUnsafe(BLOCK);
  writeHeader(head, 0, payloadName, payloadSize, mtimeSeconds);
  return head;
}

/** Writes the manifest, signature and certificate entries at `offset` of a zero-filled `target`; returns where they end. */
function writeEvidence(target: Buffer, offset: number, manifest: Uint8Array, signature: Uint8Array, certificates: readonly Uint8Array[], mtimeSeconds: number): number {
  const entries: [string, Uint8Array][] = [[MANIFEST_ENTRY, manifest], [SIGNATURE_ENTRY, signature], ...certificates.map((der, i): [string, Uint8Array] => [certificateEntryName(i), der])];
  for (const [name, data] of entries) {
    writeHeader(target, offset, name, data.length, mtimeSeconds);
    target.set(data, offset + BLOCK);
    offset += entryBytes(data.length);
  }
  return offset;
}

function evidenceBytes(manifest: Uint8Array, signature: Uint8Array, certificates: readonly Uint8Array[]): number {
  return entryBytes(manifest.length) + entryBytes(signature.length) + certificates.reduce((sum, der) => sum + entryBytes(der.length), 0);
}

/** Everything after the payload bytes: their padding, the manifest, signature and certificate entries, two end blocks. */
export function bundleTail(payloadSize: number, manifest: Uint8Array, signature: Uint8Array, mtimeSeconds: number, certificates: readonly Uint8Array[] = []): Buffer {
  const padding = entryBytes(payloadSize) - BLOCK - payloadSize;
  const tail = Buffer.alloc(padding + evidenceBytes(manifest, signature, certificates) + 2 * BLOCK);
  writeEvidence(tail, padding, manifest, signature, certificates, mtimeSeconds);
  return tail;
}

/** Payloads up to this size are copied into one bundle buffer: one cipher update costs less than three. */
const COPY_PAYLOADS_UP_TO = 64 * 1024;

/**
 * The bundle: a tar archive of the payload file, `manifest.cbor` and `manifest.sig`, in that
 * order, ended by two zero blocks. `mtimeSeconds` is the manifest's creation time. Returned as
 * consecutive parts: one buffer for a small payload, and for a large one head, payload (not
 * copied) and tail.
 */
export function bundleParts(parts: BundleParts, mtimeSeconds: number): Uint8Array[] {
  const size = parts.payload.length;
  const certificates = parts.certificates ?? [];
  if (size > COPY_PAYLOADS_UP_TO) {
    return [bundleHead(parts.payloadName, size, mtimeSeconds), parts.payload, bundleTail(size, parts.manifest, parts.signature, mtimeSeconds, certificates)];
  }
  const bundle = Buffer.alloc(entryBytes(size) + evidenceBytes(parts.manifest, parts.signature, certificates) + 2 * BLOCK);
  writeHeader(bundle, 0, parts.payloadName, size, mtimeSeconds);
  bundle.set(parts.payload, BLOCK);
  writeEvidence(bundle, entryBytes(size), parts.manifest, parts.signature, certificates, mtimeSeconds);
  return [bundle];
}

/** Size limits of each bundle entry, in order; every certificate entry has the last limit. */
export function entryLimits(limits: Limits): [number, number, number, number] {
  return [limits.maxPayloadBytes, limits.maxManifestBytes, MAX_SIGNATURE_BYTES, MAX_CERTIFICATE_BYTES];
}

/** The number of entries before the optional certificate entries. */
export const REQUIRED_ENTRIES = 3;

/**
 * Checks an entry header against its position: fixed names for manifest, signature and
 * certificates, sizes within limits, at most {@link MAX_CERTIFICATES} certificates.
 */
export function checkEntry(index: number, name: string, size: number, limits: Limits): void {
  if (index === 0) {
    needs(name !== MANIFEST_ENTRY && name !== SIGNATURE_ENTRY, 'BUNDLE_INVALID', 'the first bundle entry must be the payload');
  } else {
    needs(index - REQUIRED_ENTRIES < MAX_CERTIFICATES, 'LIMIT_EXCEEDED', `a bundle carries at most ${MAX_CERTIFICATES} certificates`);
    const expected = index === 1 ? MANIFEST_ENTRY : index === 2 ? SIGNATURE_ENTRY : certificateEntryName(index - REQUIRED_ENTRIES);
    needs(name === expected, 'BUNDLE_INVALID', `bundle entry ${index + 1} must be ${expected}`);
  }
  const max = entryLimits(limits)[Math.min(index, REQUIRED_ENTRIES)]!;
  needs(size <= max, 'LIMIT_EXCEEDED', `bundle entry ${JSON.stringify(name)} of ${size} bytes exceeds its limit (${max})`);
}

/**
 * Parses a bundle held in memory. Accepts exactly three entries (payload, manifest.cbor,
 * manifest.sig), then up to {@link MAX_CERTIFICATES} certificate entries, zero padding, two zero
 * end blocks and nothing after them.
 */
export function parseBundle(bundle: Uint8Array, limits: Limits): BundleParts {
  const data: Uint8Array[] = [];
  let payloadName = '';
  let offset = 0;
  for (let index = 0; ; index++) {
    needs(bundle.length >= offset + BLOCK, 'BUNDLE_INVALID', index < REQUIRED_ENTRIES ? 'bundle ends before its third entry' : 'bundle must end with exactly two zero blocks');
    if (index >= REQUIRED_ENTRIES && isZero(bundle.subarray(offset, offset + BLOCK))) break;
    const header = readHeader(bundle.subarray(offset, offset + BLOCK));
    checkEntry(index, header.name, header.size, limits);
    if (index === 0) payloadName = header.name;
    const end = offset + entryBytes(header.size);
    needs(bundle.length >= end, 'BUNDLE_INVALID', 'bundle ends inside an entry');
    data.push(bundle.subarray(offset + BLOCK, offset + BLOCK + header.size));
    needs(isZero(bundle.subarray(offset + BLOCK + header.size, end)), 'BUNDLE_INVALID', 'tar padding is not zero');
    offset = end;
  }
  needs(bundle.length === offset + 2 * BLOCK, 'BUNDLE_INVALID', 'bundle must end with exactly two zero blocks');
  needs(isZero(bundle.subarray(offset)), 'BUNDLE_INVALID', 'bundle must end with exactly two zero blocks');
  const [payload, manifest, signature, ...certificates] = data as [Uint8Array, Uint8Array, Uint8Array, ...Uint8Array[]];
  if (signature.length === 0) throw new SealpostError('BUNDLE_INVALID', 'manifest.sig is empty');
  return { payloadName, payload, manifest, signature, certificates };
}
