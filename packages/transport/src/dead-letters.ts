/** One dead letter, as `sealpost dead list` shows it. */
export interface DeadLetter {
  /** The Sealpost message id when the transport knows it without keys, else {@link transportId}. */
  readonly id: string;
  /** The dead letter's own id in its transport (spool file name, dead-letter job id, SQS MessageId). */
  readonly transportId: string;
  /** The error code it was dead-lettered with, e.g. UNTRUSTED_SENDER. */
  readonly code: string;
  readonly reason: string;
  /** When it was dead-lettered (ISO 8601), where the transport recorded it. */
  readonly at: string | undefined;
  /** Deliveries made before it was dead-lettered, where the transport recorded them. */
  readonly attempts: number | undefined;
  /** The envelope's size in bytes (an offloaded one's as its pointer declares it). */
  readonly size: number;
  /** For an offloaded envelope: where its pointer says it is, `s3://BUCKET/KEY` (the object is kept for the dead letter). */
  readonly offloaded?: string;
}

/** Which dead letters a redrive or purge acts on: named ones (by id or transport id), one code, or all. */
export type DeadLetterSelection = { readonly ids: readonly string[] } | { readonly code: string } | { readonly all: true };

/** A transport's dead letters: look at them, send them back, or drop them. */
export interface DeadLetterBox {
  /** Every dead letter, oldest first where the transport orders them. */
  list(): Promise<DeadLetter[]>;
  /** One dead letter by id or transport id, with its envelope; undefined when there is none. */
  get(id: string): Promise<(DeadLetter & { readonly envelope: Uint8Array }) | undefined>;
  /**
   * Puts the selected dead letters back on the source queue, each once, and removes them from
   * the dead letters. Resolves with the ones moved.
   */
  redrive(selection: DeadLetterSelection): Promise<DeadLetter[]>;
  /** Deletes the selected dead letters for good. Resolves with the ones deleted. */
  purge(selection: DeadLetterSelection): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

/** Whether `letter` is in `selection`. */
export function selects(selection: DeadLetterSelection, letter: DeadLetter): boolean {
  if ('all' in selection) return true;
  if ('code' in selection) return letter.code === selection.code;
  return selection.ids.includes(letter.id) || selection.ids.includes(letter.transportId);
}
