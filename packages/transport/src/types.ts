import type { OffloadPointer } from './offload/pointer.ts';

/** One envelope taken from a transport, handed to a {@link MessageHandler}. */
export interface Delivery {
  /** The envelope bytes, exactly as sent; empty when the envelope was offloaded (see {@link Delivery.pointer}). */
  readonly envelope: Uint8Array;
  /**
   * Where the envelope is when it travelled offloaded (S3): parsed and syntax-checked, but
   * untrusted; the handler checks its bucket and size before fetching anything.
   */
  readonly pointer?: OffloadPointer;
  /** The transport's own id for this delivery (SQS MessageId, BullMQ job id, spool file name). */
  readonly transportId: string;
  /** 1 on first delivery, then counts redeliveries where the transport knows it. */
  readonly attempt: number;
}

/**
 * Processes one delivery. The transport acknowledges (deletes) the delivery only when the
 * returned promise resolves. When it rejects:
 * - with an error whose `transient` is false: the delivery is moved to the dead-letter
 *   destination at once, with the error's `code` and `message` as the reason;
 * - otherwise (transient, or not a SealpostError): it is retried later with backoff and is
 *   never dead-lettered early (the backend's own redrive limit is the last backstop).
 */
export type MessageHandler = (delivery: Delivery) => Promise<void>;

/** Options for {@link TransportSender.send}. */
export interface SendOptions {
  /** Message id from the manifest: used as BullMQ job id / SQS FIFO deduplication id. */
  readonly messageId?: string;
}

/** The sending half of a transport. */
export interface TransportSender {
  /** Resolves once the transport has durably accepted the envelope. */
  send(envelope: Uint8Array, options?: SendOptions): Promise<void>;
  /**
   * Sends a pointer to an envelope already offloaded (see `createS3Offload`); resolves once the
   * transport has durably accepted it. Transports that cannot carry pointers (spool) leave it out.
   */
  sendPointer?(pointer: OffloadPointer, options?: SendOptions): Promise<void>;
  /** Sends several envelopes using the backend's batch call; resolves when all are accepted. */
  sendBatch(items: readonly { envelope: Uint8Array; options?: SendOptions }[]): Promise<void>;
  /** Largest envelope this transport accepts, in bytes; `send` rejects larger ones with MESSAGE_TOO_LARGE. */
  readonly maxEnvelopeBytes: number;
  /** Envelopes worth handing to one `sendBatch` call: what the backend takes in one request. */
  readonly batchSize: number;
  close(): Promise<void>;
}

/** The consuming half of a transport. */
export interface TransportConsumer {
  /** Starts taking deliveries; at most `concurrency` handlers run at once. */
  start(handler: MessageHandler): Promise<void>;
  /**
   * Stops taking deliveries and waits for in-flight handlers, at most `deadlineMs`; then
   * closes connections. Idempotent. Deliveries not finished by the deadline are left to
   * be redelivered (never acknowledged).
   */
  stop(deadlineMs?: number): Promise<void>;
}
