import { SealpostError, describeCertificate, type OpenedMessage, type VerifiedMessage } from '@sealpost/envelope';
import type { StoredMessage, StoredMessageFields } from './types.ts';

/** The row for a message that passed every check of `open` (payload in memory). */
export function toStoredMessage(opened: OpenedMessage, receivedAt: Date): StoredMessage {
  return { ...toStoredFields(opened, receivedAt), payload: opened.payload };
}

/**
 * The row's fields, without the payload, for a message that passed every check of a streaming
 * open (`Opener.openStream` / `openFile`, whose payload is in a file): pass them with that file to
 * `MessageStore.putFile`.
 *
 * @example
 * ```ts
 * const verified = await opener.openFile(envelopePath, { payloadPath })
 * await store.putFile(toStoredFields(verified, new Date()), payloadPath)
 * ```
 */
export function toStoredFields(opened: VerifiedMessage, receivedAt: Date): StoredMessageFields {
  const { manifest } = opened;
  const leaf = opened.certificates.length > 0 ? describeCertificate(opened.certificates[0]!) : undefined;
  return {
    id: manifest.id,
    senderKeyId: manifest.sender.keyId,
    senderAlgorithm: manifest.sender.algorithm,
    recipients: manifest.recipients,
    createdAt: manifest.created,
    receivedAt,
    payloadName: manifest.payload.name,
    contentType: manifest.payload.contentType,
    payloadSha256: manifest.payload.sha256,
    metadata: manifest.metadata,
    manifest: opened.manifestBytes,
    signature: opened.signature,
    certificates: opened.certificates,
    ...(leaf ? { senderSubject: leaf.subject, senderCertificate: leaf.fingerprint } : {}),
  };
}

/**
 * The outcome of a put whose id is already stored, as every store settles it: the same manifest
 * is a duplicate delivery, another one a replay (permanent).
 */
export function settleConflict(storedManifest: Uint8Array | undefined, m: { readonly id: string; readonly manifest: Uint8Array }): 'duplicate' {
  if (storedManifest && sameBytes(storedManifest, m.manifest)) return 'duplicate';
  throw new SealpostError('REPLAY_DETECTED', `message ${m.id} was already stored with a different manifest`);
}

/** True when two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The certificate chain as stored in a text column or field: a JSON array of base64 DER. */
export function encodeCertificates(certificates: readonly Uint8Array[]): string {
  return JSON.stringify(certificates.map((der) => Buffer.from(der).toString('base64')));
}

/** The inverse of {@link encodeCertificates}; a missing value (a row from before certificates) is no chain. */
export function decodeCertificates(stored: string | null | undefined): Uint8Array[] {
  return stored ? (JSON.parse(stored) as string[]).map((b64) => Buffer.from(b64, 'base64')) : [];
}

/** The optional sender identity fields of a summary, from nullable stored values. */
export function senderIdentity(subject: unknown, certificate: unknown): { senderSubject?: string; senderCertificate?: string } {
  return typeof subject === 'string' && typeof certificate === 'string' ? { senderSubject: subject, senderCertificate: certificate } : {};
}
