import { SealpostError, needs } from '../errors.ts';
import type { Limits } from '../limits.ts';
import { MAX_PROOF_BYTES, MAX_STATEMENT_BYTES } from '../batch/statement.ts';
import { BLOCK, entryBytes, isZero, readHeader, writeHeader } from './ustar.ts';

/** Tar entry names of the signed manifest and its signature. */
export const MANIFEST_ENTRY = 'manifest.cbor';
export const SIGNATURE_ENTRY = 'manifest.sig';
/** Tar entry names of the batch form (FORMAT.md section 15), in place of `manifest.sig`. */
export const STATEMENT_ENTRY = 'statement.cbor';
export const STATEMENT_SIGNATURE_ENTRY = 'statement.sig';
export const PROOF_ENTRY = 'proof.cbor';
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

/** How the manifest is signed: by its own signature, or by a batch statement and an inclusion proof. */
export type BundleForm = 'single' | 'batch';

/** The names of the required entries after the payload, in order, for each form. */
const ENTRY_NAMES: Readonly<Record<BundleForm, readonly string[]>> = {
  single: [MANIFEST_ENTRY, SIGNATURE_ENTRY],
  batch: [MANIFEST_ENTRY, STATEMENT_ENTRY, STATEMENT_SIGNATURE_ENTRY, PROOF_ENTRY],
};

const MAX_ENTRY_BYTES: Readonly<Record<string, number>> = {
  [SIGNATURE_ENTRY]: MAX_SIGNATURE_BYTES,
  [STATEMENT_ENTRY]: MAX_STATEMENT_BYTES,
  [STATEMENT_SIGNATURE_ENTRY]: MAX_SIGNATURE_BYTES,
  [PROOF_ENTRY]: MAX_PROOF_BYTES,
};

/** The batch form's statement and proof: with `signature` (over the statement), what signs the manifest. */
export interface BatchParts {
  /** `statement.cbor`: the signed batch statement. */
  readonly statement: Uint8Array;
  /** `proof.cbor`: the manifest's inclusion proof. */
  readonly proof: Uint8Array;
}

/** What signs a manifest: a signature over it, or (with `batch`) a signature over a batch statement. */
export interface BundleEvidence {
  /** DER ECDSA signature: `manifest.sig`, or in the batch form `statement.sig`. */
  readonly signature: Uint8Array;
  /** Present in the batch form. */
  readonly batch?: BatchParts;
}

/** The parts of a bundle. */
export interface BundleParts extends BundleEvidence {
  readonly payloadName: string;
  readonly payload: Uint8Array;
  readonly manifest: Uint8Array;
  /** The sender's certificate chain, DER, leaf first; empty when the sender sent none. */
  readonly certificates?: readonly Uint8Array[];
}

type Entries = (readonly [string, Uint8Array])[];

/** The bundle entries after the payload, in order: manifest, evidence of the form, certificates. */
function evidenceEntries(manifest: Uint8Array, evidence: BundleEvidence, certificates: readonly Uint8Array[]): Entries {
  const signed: Entries = evidence.batch
    ? [[MANIFEST_ENTRY, manifest], [STATEMENT_ENTRY, evidence.batch.statement], [STATEMENT_SIGNATURE_ENTRY, evidence.signature], [PROOF_ENTRY, evidence.batch.proof]]
    : [[MANIFEST_ENTRY, manifest], [SIGNATURE_ENTRY, evidence.signature]];
  return [...signed, ...certificates.map((der, i): readonly [string, Uint8Array] => [certificateEntryName(i), der])];
}

/** The tar header of the payload entry: the start of every bundle. */
export function bundleHead(payloadName: string, payloadSize: number, mtimeSeconds: number): Buffer {
  const head = Buffer.allocUnsafe(BLOCK);
  writeHeader(head, 0, payloadName, payloadSize, mtimeSeconds);
  return head;
}

/** Writes the entries at `offset` of a zero-filled `target`; returns where they end. */
function writeEntries(target: Buffer, offset: number, entries: Entries, mtimeSeconds: number): number {
  for (const [name, data] of entries) {
    writeHeader(target, offset, name, data.length, mtimeSeconds);
    target.set(data, offset + BLOCK);
    offset += entryBytes(data.length);
  }
  return offset;
}

const entriesBytes = (entries: Entries) => entries.reduce((sum, [, data]) => sum + entryBytes(data.length), 0);

/** Everything after the payload bytes: their padding, the manifest, evidence and certificate entries, two end blocks. */
export function bundleTail(payloadSize: number, manifest: Uint8Array, evidence: BundleEvidence, mtimeSeconds: number, certificates: readonly Uint8Array[] = []): Buffer {
  const entries = evidenceEntries(manifest, evidence, certificates);
  const padding = entryBytes(payloadSize) - BLOCK - payloadSize;
  const tail = Buffer.alloc(padding + entriesBytes(entries) + 2 * BLOCK);
  writeEntries(tail, padding, entries, mtimeSeconds);
  return tail;
}

/** Payloads up to this size are copied into one bundle buffer: one cipher update costs less than three. */
const COPY_PAYLOADS_UP_TO = 64 * 1024;

/**
 * The bundle: a tar archive of the payload file, `manifest.cbor` and `manifest.sig` (or, in the
 * batch form, `statement.cbor`, `statement.sig` and `proof.cbor`), then any certificate entries,
 * in that order, ended by two zero blocks. `mtimeSeconds` is the manifest's creation time.
 * Returned as consecutive parts: one buffer for a small payload, and for a large one head,
 * payload (not copied) and tail.
 */
export function bundleParts(parts: BundleParts, mtimeSeconds: number): Uint8Array[] {
  const size = parts.payload.length;
  const certificates = parts.certificates ?? [];
  if (size > COPY_PAYLOADS_UP_TO) {
    return [bundleHead(parts.payloadName, size, mtimeSeconds), parts.payload, bundleTail(size, parts.manifest, parts, mtimeSeconds, certificates)];
  }
  const entries = evidenceEntries(parts.manifest, parts, certificates);
  const bundle = Buffer.alloc(entryBytes(size) + entriesBytes(entries) + 2 * BLOCK);
  writeHeader(bundle, 0, parts.payloadName, size, mtimeSeconds);
  bundle.set(parts.payload, BLOCK);
  writeEntries(bundle, entryBytes(size), entries, mtimeSeconds);
  return [bundle];
}

/**
 * Reads the entry layout as a bundle arrives: the third entry's name selects the form (and so
 * how many required entries follow the payload); optional certificate entries follow them.
 * Every entry is checked against its position.
 */
export class BundleLayout {
  form: BundleForm = 'single';
  private payloadName = '';

  /** Required entries, as far as known: three until the third entry's name is read. */
  get required(): number {
    return 1 + ENTRY_NAMES[this.form].length;
  }

  /** Checks entry `index`'s header: its name against its position, its size against its limit. */
  checkEntry(index: number, name: string, size: number, limits: Limits): void {
    if (index === 0) {
      needs(name !== MANIFEST_ENTRY && name !== SIGNATURE_ENTRY, 'BUNDLE_INVALID', 'the first bundle entry must be the payload');
      this.payloadName = name;
    } else if (index < this.required) {
      if (index === 2 && name === STATEMENT_ENTRY) {
        this.form = 'batch';
        needs(!ENTRY_NAMES.batch.includes(this.payloadName), 'BUNDLE_INVALID', `the payload may not be named ${this.payloadName} in a batch-signed bundle`);
      }
      const expected = ENTRY_NAMES[this.form][index - 1];
      needs(name === expected, 'BUNDLE_INVALID', `bundle entry ${index + 1} must be ${expected}`);
    } else {
      needs(index - this.required < MAX_CERTIFICATES, 'LIMIT_EXCEEDED', `a bundle carries at most ${MAX_CERTIFICATES} certificates`);
      const expected = certificateEntryName(index - this.required);
      needs(name === expected, 'BUNDLE_INVALID', `bundle entry ${index + 1} must be ${expected}`);
    }
    const max = index === 0 ? limits.maxPayloadBytes : index === 1 ? limits.maxManifestBytes : index < this.required ? MAX_ENTRY_BYTES[name]! : MAX_CERTIFICATE_BYTES;
    // The message is built only on failure: this check runs for every entry of every message.
    if (!(size <= max)) throw new SealpostError('LIMIT_EXCEEDED', `bundle entry ${JSON.stringify(name)} of ${size} bytes exceeds its limit (${max})`);
  }

  /** The evidence from the bytes of the required entries after the manifest, in order. */
  evidence(entries: readonly Uint8Array[]): BundleEvidence {
    if (this.form === 'single') {
      const [signature] = entries as [Uint8Array];
      needs(signature.length > 0, 'BUNDLE_INVALID', 'manifest.sig is empty');
      return { signature };
    }
    const [statement, signature, proof] = entries as [Uint8Array, Uint8Array, Uint8Array];
    needs(signature.length > 0, 'BUNDLE_INVALID', 'statement.sig is empty');
    return { signature, batch: { statement, proof } };
  }
}

/**
 * Parses a bundle held in memory. Accepts exactly the required entries of one form (payload,
 * manifest.cbor, then manifest.sig or statement.cbor, statement.sig and proof.cbor), then up to
 * {@link MAX_CERTIFICATES} certificate entries, zero padding, two zero end blocks and nothing
 * after them.
 */
export function parseBundle(bundle: Uint8Array, limits: Limits): BundleParts {
  const data: Uint8Array[] = [];
  const layout = new BundleLayout();
  let payloadName = '';
  let offset = 0;
  for (let index = 0; ; index++) {
    needs(bundle.length >= offset + BLOCK, 'BUNDLE_INVALID', index < layout.required ? `bundle ends before its entry ${index + 1}` : 'bundle must end with exactly two zero blocks');
    if (index >= layout.required && isZero(bundle.subarray(offset, offset + BLOCK))) break;
    const header = readHeader(bundle.subarray(offset, offset + BLOCK));
    layout.checkEntry(index, header.name, header.size, limits);
    if (index === 0) payloadName = header.name;
    const end = offset + entryBytes(header.size);
    needs(bundle.length >= end, 'BUNDLE_INVALID', 'bundle ends inside an entry');
    data.push(bundle.subarray(offset + BLOCK, offset + BLOCK + header.size));
    needs(isZero(bundle.subarray(offset + BLOCK + header.size, end)), 'BUNDLE_INVALID', 'tar padding is not zero');
    offset = end;
  }
  needs(bundle.length === offset + 2 * BLOCK, 'BUNDLE_INVALID', 'bundle must end with exactly two zero blocks');
  needs(isZero(bundle.subarray(offset)), 'BUNDLE_INVALID', 'bundle must end with exactly two zero blocks');
  const [payload, manifest] = data as [Uint8Array, Uint8Array];
  const evidence = layout.evidence(data.slice(2, layout.required));
  return { payloadName, payload, manifest, ...evidence, certificates: data.slice(layout.required) };
}
