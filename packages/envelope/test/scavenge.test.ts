import { constants, PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createScavenger, scavengeWhile } from '../src/index.ts';

/** The kinds of the collections V8 runs while `work` runs (and just after: entries arrive asynchronously). */
async function collectionsDuring(work: () => Promise<void> | void): Promise<number[]> {
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => kinds.push(...list.getEntries().map((entry) => (entry as unknown as { detail: { kind: number } }).detail.kind)));
  observer.observe({ entryTypes: ['gc'] });
  await work();
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  return kinds;
}

describe('collecting dead buffers during long transfers', () => {
  it('scavengeWhile resolves and rejects as its work does, and collects while work outlives its interval', async () => {
    expect(await scavengeWhile(async () => 42, 1)).toBe(42);
    await expect(scavengeWhile(() => Promise.reject(new Error('boom')), 1)).rejects.toThrow('boom');
    const kinds = await collectionsDuring(async () => {
      expect(await scavengeWhile(() => new Promise((resolve) => setTimeout(() => resolve('done'), 200)), 5)).toBe('done');
    });
    // Every tenth tick is a full collection: 200 ms at 5 ms gives several, far more than a short idle test makes on its own.
    expect(kinds.filter((kind) => kind === constants.NODE_PERFORMANCE_GC_MAJOR).length).toBeGreaterThanOrEqual(2);
  });

  it('a scavenger collects as the bytes it is fed pass its thresholds: young objects every minorBytes, everything every majorBytes', async () => {
    const kinds = await collectionsDuring(() => {
      const scavenge = createScavenger(1024, 4096);
      // 70,000 bytes: 17 full collections and the minor ones between them.
      for (let i = 0; i < 100; i++) scavenge(700);
    });
    expect(kinds.filter((kind) => kind === constants.NODE_PERFORMANCE_GC_MAJOR).length).toBeGreaterThanOrEqual(10);
    expect(kinds).toContain(constants.NODE_PERFORMANCE_GC_MINOR);
  });
});
