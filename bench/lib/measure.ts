/** One measured row: the median of several repetitions, with their spread. */
export interface Measurement {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly reps: number;
  /**
   * For rows measured by {@link interleaved}: operations per second of this process's CPU time
   * (every thread), median over the same repetitions. Another process's burst on a shared
   * machine stretches wall time, not the CPU time an operation takes.
   */
  readonly perCpuSecond?: number;
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

/** One operation measured by {@link interleaved}. */
export type Operation =
  | { readonly name: string; readonly sync: true; readonly run: () => unknown }
  | { readonly name: string; readonly sync?: false; readonly run: () => Promise<unknown>; readonly concurrency: number };

/** CPU time of this process in seconds: user and system, every thread. */
export const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** One repetition's rates: per second of wall time, and per second of this process's CPU time. */
interface Rates {
  readonly wall: number;
  readonly cpu: number;
}

function syncRepetition(run: () => unknown, repMs: number): Rates {
  let done = 0;
  const cpu = cpuSeconds();
  const started = performance.now();
  const deadline = started + repMs;
  while (performance.now() < deadline) {
    for (let i = 0; i < 16; i++) run();
    done += 16;
  }
  return { wall: done / ((performance.now() - started) / 1000), cpu: done / (cpuSeconds() - cpu) };
}

async function oneRepetition(op: Operation, repMs: number): Promise<Rates> {
  if (op.sync) return syncRepetition(op.run, repMs);
  let done = 0;
  const cpu = cpuSeconds();
  const started = performance.now();
  const deadline = started + repMs;
  const run = op.run;
  await Promise.all(
    Array.from({ length: op.concurrency }, async () => {
      while (performance.now() < deadline) {
        await run();
        done++;
      }
    }),
  );
  return { wall: done / ((performance.now() - started) / 1000), cpu: done / (cpuSeconds() - cpu) };
}

/**
 * Operations per second of several operations measured in turns: each repetition measures
 * every operation once, so a burst of noise on this shared machine lands on all of them
 * alike, and the ratios between them hold. One warm-up turn, then `plan.reps` turns.
 */
export async function interleaved(ops: readonly Operation[], plan: Plan): Promise<Map<string, Measurement>> {
  const results = new Map<string, Rates[]>(ops.map((op) => [op.name, []]));
  for (let rep = 0; rep <= plan.reps; rep++) {
    for (const op of ops) {
      const value = await oneRepetition(op, plan.repMs);
      if (rep > 0) results.get(op.name)!.push(value);
    }
  }
  return new Map([...results].map(([name, values]) => [name, { ...summarize(values.map((v) => v.wall)), perCpuSecond: summarize(values.map((v) => v.cpu)).median }]));
}

/**
 * Operations per second of an async operation run `concurrency` at a time: a warm-up
 * repetition, then `plan.reps` timed repetitions of about `plan.repMs` each.
 */
export async function rate(run: () => Promise<unknown>, plan: Plan, concurrency = 1): Promise<Measurement> {
  return (await interleaved([{ name: 'op', run, concurrency }], plan)).get('op')!;
}

/** Operations per second of a synchronous operation on the calling thread. */
export function rateSync(run: () => unknown, plan: Plan): Measurement {
  const results: number[] = [];
  for (let rep = 0; rep <= plan.reps; rep++) {
    const value = syncRepetition(run, plan.repMs).wall;
    if (rep > 0) results.push(value);
  }
  return summarize(results);
}

/** Median and spread of a list of samples (e.g. MB/s of repeated runs). */
export function samples(values: number[]): Measurement {
  return summarize(values);
}
