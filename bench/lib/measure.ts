/** One measured row: the median of several repetitions, with their spread. */
export interface Measurement {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly reps: number;
}

/** How long and how often to measure. */
export interface Plan {
  /** Milliseconds per repetition. */
  readonly repMs: number;
  /** Repetitions after one warm-up repetition. */
  readonly reps: number;
}

function summarize(values: number[]): Measurement {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, reps: values.length };
}

/**
 * Operations per second of an async operation run `concurrency` at a time: a warm-up
 * repetition, then `plan.reps` timed repetitions of about `plan.repMs` each.
 */
export async function rate(op: () => Promise<unknown>, plan: Plan, concurrency = 1): Promise<Measurement> {
  const results: number[] = [];
  for (let rep = 0; rep <= plan.reps; rep++) {
    let done = 0;
    const started = performance.now();
    const deadline = started + plan.repMs;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          await op();
          done++;
        }
      }),
    );
    if (rep > 0) results.push(done / ((performance.now() - started) / 1000));
  }
  return summarize(results);
}

/** Operations per second of a synchronous operation on the calling thread. */
export function rateSync(op: () => unknown, plan: Plan): Measurement {
  const results: number[] = [];
  for (let rep = 0; rep <= plan.reps; rep++) {
    let done = 0;
    const started = performance.now();
    const deadline = started + plan.repMs;
    while (performance.now() < deadline) {
      for (let i = 0; i < 16; i++) op();
      done += 16;
    }
    if (rep > 0) results.push(done / ((performance.now() - started) / 1000));
  }
  return summarize(results);
}

/** Median and spread of a list of samples (e.g. MB/s of repeated runs). */
export function samples(values: number[]): Measurement {
  return summarize(values);
}
