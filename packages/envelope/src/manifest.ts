import { MapShape, decodeCanonical, encodeCanonical, encodeOnce } from './cbor.ts';
import { needs } from './errors.ts';
import { isSigningAlgorithm } from './algorithms.ts';
import { expectMap, isKeyId } from './format/header.ts';
import { isSafeEntryName } from './bundle/ustar.ts';
import { MAX_CERTIFICATES } from './bundle/bundle.ts';
import { isUuidV7 } from './uuid.ts';
import type { Limits } from './limits.ts';
import type { Manifest } from './message.ts';

/** The manifest format version, inside the signed bytes. */
export const MANIFEST_VERSION = 1;

const CONTENT_TYPE = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;
const METADATA_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** The latest instant a JavaScript Date holds (ECMAScript's time range): later `created` values name no time. */
export const MAX_CREATED_MS = 8_640_000_000_000_000;

// The manifest's maps, keys sorted and encoded once (metadata keys are the caller's: sorted per message).
const MANIFEST = new MapShape(['created', 'id', 'metadata', 'payload', 'recipients', 'sender', 'version']);
const PAYLOAD = new MapShape(['name', 'sha256', 'size', 'type']);
const SENDER = new MapShape(['alg', 'kid']);
const CERTIFIED_SENDER = new MapShape(['alg', 'certs', 'kid']);

/** Encodes a manifest as deterministic CBOR: the exact bytes that are signed. */
export function encodeManifest(manifest: Manifest): Uint8Array {
  const { sender, payload } = manifest;
  return encodeCanonical(
    MANIFEST.of({
      created: manifest.created.getTime(),
      id: manifest.id,
      metadata: manifest.metadata,
      payload: PAYLOAD.of({ name: payload.name, sha256: payload.sha256, size: payload.size, type: payload.contentType }),
      // The same list (by identity) in every manifest of a sealer: encoded once.
      recipients: encodeOnce(manifest.recipients, (list) => list),
      sender: sender.certificates?.length
        ? CERTIFIED_SENDER.of({ alg: sender.algorithm, certs: sender.certificates, kid: sender.keyId })
        : SENDER.of({ alg: sender.algorithm, kid: sender.keyId }),
      version: MANIFEST_VERSION,
    }),
  );
}

/** True when `type` is an acceptable content type (printable ASCII, 1 to 255 characters). */
export function isContentType(type: unknown): type is string {
  return typeof type === 'string' && CONTENT_TYPE.test(type);
}

/**
 * Checks metadata against the limits; used when sealing (caller input) and opening (untrusted).
 * Keys are ASCII identifiers, values strings, both bounded in UTF-8 bytes.
 */
export function checkMetadata(metadata: unknown, limits: Limits, code: 'MANIFEST_INVALID' | 'CONFIG_INVALID'): asserts metadata is Record<string, string> {
  // Over a limit is LIMIT_EXCEEDED for a received manifest, CONFIG_INVALID for the caller's own input.
  const limitCode = code === 'CONFIG_INVALID' ? code : 'LIMIT_EXCEEDED';
  needs(typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) && !(metadata instanceof Uint8Array), code, 'metadata must be a map of strings');
  const entries = Object.entries(metadata);
  needs(entries.length <= limits.maxMetadataEntries, limitCode, `metadata has ${entries.length} entries, more than maxMetadataEntries (${limits.maxMetadataEntries})`);
  for (const [key, value] of entries) {
    needs(METADATA_KEY.test(key), code, `metadata key ${JSON.stringify(key.slice(0, 80))} must be A-Z a-z 0-9 . _ - starting with a letter or digit`);
    needs(key.length <= limits.maxMetadataKeyBytes, limitCode, `metadata key ${JSON.stringify(key.slice(0, 80))} is longer than maxMetadataKeyBytes (${limits.maxMetadataKeyBytes})`);
    needs(typeof value === 'string', code, `metadata value for ${JSON.stringify(key)} must be a string`);
    needs(Buffer.byteLength(value) <= limits.maxMetadataValueBytes, limitCode, `metadata value for ${JSON.stringify(key)} is longer than maxMetadataValueBytes (${limits.maxMetadataValueBytes})`);
  }
}

/**
 * Decodes and validates the signed manifest. Strict: canonical CBOR, exactly the known
 * fields, every value of its type and within the limits.
 */
export function decodeManifest(bytes: Uint8Array, limits: Limits): Manifest {
  needs(bytes.length <= limits.maxManifestBytes, 'LIMIT_EXCEEDED', `manifest exceeds maxManifestBytes (${limits.maxManifestBytes})`);
  const map = expectManifestMap(decodeCanonical(bytes, 'manifest', 'MANIFEST_INVALID'), ['created', 'id', 'metadata', 'payload', 'recipients', 'sender', 'version'], 'manifest');
  const { created, id, metadata, payload, recipients, sender, version } = map;
  needs(version === MANIFEST_VERSION, 'MANIFEST_INVALID', `manifest.version must be ${MANIFEST_VERSION}`);
  needs(isUuidV7(id), 'MANIFEST_INVALID', 'manifest.id must be a lower-case UUIDv7');
  needs(Number.isSafeInteger(created) && (created as number) >= 0 && (created as number) <= MAX_CREATED_MS, 'MANIFEST_INVALID', `manifest.created must be Unix milliseconds from 0 to ${MAX_CREATED_MS}`);
  const certified = typeof sender === 'object' && sender !== null && 'certs' in sender;
  const s = expectManifestMap(sender, certified ? ['alg', 'certs', 'kid'] : ['alg', 'kid'], 'manifest.sender');
  needs(isKeyId(s.kid), 'MANIFEST_INVALID', 'manifest.sender.kid must be a key id');
  needs(isSigningAlgorithm(s.alg), 'MANIFEST_INVALID', 'manifest.sender.alg is not a supported signing algorithm');
  if (certified) {
    needs(Array.isArray(s.certs) && s.certs.length > 0, 'MANIFEST_INVALID', 'manifest.sender.certs must be a non-empty array');
    needs(s.certs.length <= MAX_CERTIFICATES, 'LIMIT_EXCEEDED', `manifest.sender.certs names more than ${MAX_CERTIFICATES} certificates`);
    needs(s.certs.every((h) => h instanceof Uint8Array && h.length === 32), 'MANIFEST_INVALID', 'manifest.sender.certs entries must be 32-byte SHA-256 digests');
  }
  needs(Array.isArray(recipients) && recipients.length > 0, 'MANIFEST_INVALID', 'manifest.recipients must be a non-empty array');
  needs(recipients.length <= limits.maxRecipients, 'LIMIT_EXCEEDED', `manifest names more recipients than maxRecipients (${limits.maxRecipients})`);
  needs(recipients.every(isKeyId) && new Set(recipients).size === recipients.length, 'MANIFEST_INVALID', 'manifest.recipients must be distinct key ids');
  const p = expectManifestMap(payload, ['name', 'sha256', 'size', 'type'], 'manifest.payload');
  needs(isSafeEntryName(p.name), 'MANIFEST_INVALID', 'manifest.payload.name is not a safe file name');
  needs(isContentType(p.type), 'MANIFEST_INVALID', 'manifest.payload.type must be printable ASCII');
  needs(Number.isSafeInteger(p.size) && (p.size as number) >= 0, 'MANIFEST_INVALID', 'manifest.payload.size must be a non-negative integer');
  needs(p.sha256 instanceof Uint8Array && p.sha256.length === 32, 'MANIFEST_INVALID', 'manifest.payload.sha256 must be 32 bytes');
  checkMetadata(metadata, limits, 'MANIFEST_INVALID');
  return {
    id,
    created: new Date(created as number),
    sender: { keyId: s.kid, algorithm: s.alg, ...(certified ? { certificates: s.certs as Uint8Array[] } : {}) },
    recipients,
    payload: { name: p.name, contentType: p.type, size: p.size as number, sha256: p.sha256 },
    metadata,
  };
}

function expectManifestMap(value: unknown, keys: readonly string[], where: string): Record<string, unknown> {
  return expectMap(value, keys, where, 'MANIFEST_INVALID');
}
