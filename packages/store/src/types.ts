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

/** A stored message without its payload and evidence bytes, for listings. */
export type StoredMessageSummary = Omit<StoredMessage, 'payload' | 'manifest' | 'signature' | 'certificates'> & {
  readonly size: number;
};

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
  get(id: string): Promise<StoredMessage | undefined>;
  list(options?: ListOptions): Promise<StoredMessageSummary[]>;
  /** Closes connections; idempotent. */
  close(): Promise<void>;
}
