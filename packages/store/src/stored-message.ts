import type { OpenedMessage } from '@sealpost/envelope';
import type { StoredMessage } from './types.ts';

/** The row for a message that passed every check of `open`. */
export function toStoredMessage(opened: OpenedMessage, receivedAt: Date): StoredMessage {
  const { manifest } = opened;
  return {
    id: manifest.id,
    senderKeyId: manifest.sender.keyId,
    senderAlgorithm: manifest.sender.algorithm,
    recipients: manifest.recipients,
    createdAt: manifest.created,
    receivedAt,
    payloadName: manifest.payload.name,
    contentType: manifest.payload.contentType,
    payload: opened.payload,
    payloadSha256: manifest.payload.sha256,
    metadata: manifest.metadata,
    manifest: opened.manifestBytes,
    signature: opened.signature,
  };
}

/** True when two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
