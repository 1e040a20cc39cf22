/** The outcome of one item of a batch. */
export type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/** Options for {@link groupCommit}. */
export interface GroupCommitOptions {
  /** Most items written in one batch. */
  readonly maxBatch: number;
  /** Most bytes (as `size` counts them) in one batch; a single larger item goes alone. */
  readonly maxBatchBytes: number;
  /** Most batches being written at once. */
  readonly maxInFlight: number;
}

/**
 * Coalesces concurrent writes into batches, without timers: an item that arrives while fewer
 * than `maxInFlight` batches are being written starts one at once (alone, when the store is
 * idle); items that arrive while the store is busy wait and go together in the next batch. So an
 * idle store answers one write with no added delay, and a busy one pays one round trip and one
 * commit per batch instead of per message.
 *
 * `write` settles each item on its own. When it throws instead, every item of that batch
 * rejects with that error.
 */
export function groupCommit<T, R>(write: (items: readonly T[]) => Promise<readonly Settled<R>[]>, size: (item: T) => number, options: GroupCommitOptions): (item: T) => Promise<R> {
  const waiting: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];
  let inFlight = 0;

  const pump = (): void => {
    while (inFlight < options.maxInFlight && waiting.length > 0) {
      let count = 0;
      let bytes = 0;
      while (count < waiting.length && count < options.maxBatch) {
        const next = size(waiting[count]!.item);
        if (count > 0 && bytes + next > options.maxBatchBytes) break;
        bytes += next;
        count++;
      }
      const batch = waiting.splice(0, count);
      inFlight++;
      write(batch.map((w) => w.item))
        .then(
          (results) => batch.forEach((w, i) => {
            const result = results[i]!;
            if (result.ok) w.resolve(result.value);
            else w.reject(result.error);
          }),
          (error: unknown) => batch.forEach((w) => w.reject(error)),
        )
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      pump();
    });
}
