import type { Readable } from 'node:stream';
import type { SigningAlgorithm } from '@sealpost/envelope';

/** One persisted, verified message: enough to re-verify it later from the stored bytes alone. */
export interface StoredMessage {
  /** Message id (UUIDv7), the primary key. */
  readonly id: string;
  /** Sender key id and the algorithm it signed with. */
  readonly senderKeyId: string;
  readonly senderAlgorithm: SigningAlgorithm;
  /** Recipient key ids named in the signed manifest. */
  readonly recipients: readonly string[];
  /** Sender's creation time and our receipt time. */
  readonly createdAt: Date;
  readonly receivedAt: Date;
  /** Payload name, content type, bytes and SHA-256 digest. */
  readonly payloadName: string;
  readonly contentType: string;
  readonly payload: Uint8Array;
  readonly payloadSha256: Uint8Array;
  /** Signed string metadata. */
  readonly metadata: Readonly<Record<string, string>>;
  /** For a sender accepted by its certificate: the leaf's subject and SHA-256 fingerprint (hex). */
  readonly senderSubject?: string;
  readonly senderCertificate?: string;
  /** The exact signed manifest bytes and the DER signature over them. */
  readonly manifest: Uint8Array;
  readonly signature: Uint8Array;
  /** The sender's certificate chain (DER, leaf first) the manifest binds; empty when it sent none. */
  readonly certificates: readonly Uint8Array[];
}

/**
 * Where a payload kept outside its row lives: `dir:NAME` (a file under the store's blob
 * directory, NAME relative to it) or `s3://BUCKET/KEY`. Absent when the row holds the payload.
 */
export type PayloadRef = string;

/**
 * A stored message without its payload bytes: what {@link MessageStore.head} returns. `size`
 * and `payloadSha256` describe the payload wherever it is; read it with
 * {@link MessageStore.openPayload}.
 */
export interface StoredMessageHead extends Omit<StoredMessage, 'payload'> {
  /** Payload bytes. */
  readonly size: number;
  /** Set when the payload is kept in a blob beside the store instead of in the row. */
  readonly payloadRef?: PayloadRef;
}

/** A stored message with its payload read into memory: what {@link MessageStore.get} returns. */
export type StoredMessageWithPayload = StoredMessage & StoredMessageHead;

/** A stored message without its payload and evidence bytes, for listings. */
export type StoredMessageSummary = Omit<StoredMessage, 'payload' | 'manifest' | 'signature' | 'certificates'> & {
  readonly size: number;
  /** Set when the payload is kept in a blob beside the store instead of in the row. */
  readonly payloadRef?: PayloadRef;
};

/** A stored message's fields without its payload: what {@link MessageStore.putFile} stores beside a payload file. */
export type StoredMessageFields = Omit<StoredMessage, 'payload'>;

/** The outcome of {@link MessageStore.put}. */
export type PutResult = 'stored' | 'duplicate';

/** Options for {@link MessageStore.list}. */
export interface ListOptions {
  /** At most this many rows. @defaultValue 100 */
  readonly limit?: number;
  /** Only messages whose id sorts after this one (ids are UUIDv7, so this pages by time). */
  readonly after?: string;
}

/** Options for {@link MessageStore.init}. */
export interface InitOptions {
  /**
   * Create what is missing (database file and directory, schema, tables). `false` opens an
   * existing store only, for read-only use: a missing file, schema or table rejects with
   * `STORE_NOT_FOUND` (permanent) and nothing is created, so a mistyped store is never read as
   * an empty one. @defaultValue true
   */
  readonly create?: boolean;
}

/**
 * Persists verified messages, idempotent by message id.
 *
 * Payloads larger than the store's inline limit (`inlinePayloadMax`, default 256 KiB) go to a
 * blob location beside the store (a directory, or S3) when one is configured; the row then holds
 * the payload's reference, size and digest. The rules below hold for both.
 *
 * - `put` of a message whose id is new stores it and resolves `'stored'`.
 * - `put` of the same id with byte-identical manifest resolves `'duplicate'` and writes nothing.
 * - `put` of the same id with a different manifest rejects with `REPLAY_DETECTED` (permanent).
 * - Backend outages reject with `STORE_UNAVAILABLE` (transient).
 * - An input the backend refuses for good rejects with `STORE_REJECTED` (permanent); every
 *   message the envelope accepts (any Unicode in metadata, an empty payload) must be stored.
 * - A resolved `put` means the message is durably stored: only then may a transport acknowledge.
 */
export interface MessageStore {
  /** Creates tables/indexes if needed (unless `create: false`); idempotent. Called once before use. */
  init(options?: InitOptions): Promise<void>;
  put(message: StoredMessage): Promise<PutResult>;
  /**
   * Stores a message whose verified payload is in the file `payloadPath` (the streaming open's
   * output), streaming it into the blob location when it is over the inline limit, so the payload
   * is never held whole in memory. Same outcomes as {@link MessageStore.put}. The file's bytes
   * must match `message.payloadSha256` (else `PAYLOAD_MISMATCH`, permanent, nothing stored).
   * Resolving means durable: the blob is written and fsynced (or uploaded) before the row
   * commits, so a crash in between leaves at worst an unreferenced blob, never a row without its
   * payload. A duplicate (the id is stored already) writes no blob. The file is left in place:
   * the caller removes it once this settles.
   */
  putFile(message: StoredMessageFields, payloadPath: string): Promise<PutResult>;
  /**
   * The whole message with its payload in memory, read from the row or from its blob (checked
   * against the stored size and digest: `STORE_CORRUPT` otherwise). For large payloads use
   * {@link MessageStore.head} and {@link MessageStore.openPayload}.
   */
  get(id: string): Promise<StoredMessageWithPayload | undefined>;
  /** The message without its payload bytes (never reads a blob); `payloadRef` says where the payload is. */
  head(id: string): Promise<StoredMessageHead | undefined>;
  /**
   * The payload as a stream, from the row or from its blob, in constant memory. A blob whose
   * bytes do not match the stored size and SHA-256 makes the stream fail with `STORE_CORRUPT`
   * (permanent) before it ends, so a consumer that waits for the end never takes bad bytes as
   * good; a missing blob rejects with `STORE_CORRUPT` here. `undefined` when the id is not stored.
   */
  openPayload(id: string): Promise<Readable | undefined>;
  list(options?: ListOptions): Promise<StoredMessageSummary[]>;
  /** Closes connections; idempotent. */
  close(): Promise<void>;
}
