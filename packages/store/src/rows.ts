import type { InitOptions, ListOptions, PutResult, StoredMessageFields, StoredMessageHead, StoredMessageSummary } from './types.ts';

/** A row as a backend writes it: the payload in it, or (with `payloadRef`) an empty payload and the blob's reference. */
export interface StoredRow extends StoredMessageFields {
  /** The payload bytes; empty when `payloadRef` is set. */
  readonly payload: Uint8Array;
  /** Payload bytes, wherever they are. */
  readonly size: number;
  readonly payloadRef?: string;
}

/** A row as a backend reads it. */
export type ReadRow = StoredMessageHead & { readonly payload: Uint8Array };

/**
 * What each backend implements; {@link withBlobs} turns it into a MessageStore that keeps large
 * payloads in a blob location. `insert` has the idempotency rules of `MessageStore.put`.
 */
export interface RowStore {
  init(options?: InitOptions): Promise<void>;
  insert(row: StoredRow): Promise<PutResult>;
  /** The stored manifest and payload reference of `id`, to settle a conflict without reading the payload. */
  existing(id: string): Promise<{ readonly manifest: Uint8Array; readonly payloadRef?: string } | undefined>;
  read(id: string): Promise<ReadRow | undefined>;
  list(options?: ListOptions): Promise<StoredMessageSummary[]>;
  close(): Promise<void>;
  /** Largest payload a row can hold (DynamoDB's item limit); larger ones need a blob location. */
  readonly maxRowPayloadBytes?: number;
}
