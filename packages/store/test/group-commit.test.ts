import { describe, expect, it } from 'vitest';
import { groupCommit, type Settled } from '../src/group-commit.ts';

function deferred() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { gate, release };
}

describe('groupCommit', () => {
  it('writes an item alone when idle, and gathers the items that arrive while a batch is being written', async () => {
    const batches: number[][] = [];
    const first = deferred();
    const put = groupCommit<number, string>(
      async (items) => {
        batches.push([...items]);
        if (batches.length === 1) await first.gate;
        return items.map((i): Settled<string> => (i === 13 ? { ok: false, error: new Error('unlucky') } : { ok: true, value: `v${i}` }));
      },
      () => 1,
      { maxBatch: 3, maxBatchBytes: 100, maxInFlight: 1 },
    );
    const results = [1, 2, 3, 13, 5, 6].map((i) => put(i).catch((e: Error) => e.message));
    first.release();
    expect(await Promise.all(results)).toEqual(['v1', 'v2', 'v3', 'unlucky', 'v5', 'v6']);
    expect(batches).toEqual([[1], [2, 3, 13], [5, 6]]);
  });

  it('caps a batch by bytes, lets one oversized item go alone, and fails a whole batch when the write throws', async () => {
    const batches: number[][] = [];
    const gate = deferred();
    const put = groupCommit<number, number>(
      async (items) => {
        batches.push([...items]);
        await gate.gate;
        if (items.includes(0)) throw new Error('store down');
        return items.map((i) => ({ ok: true, value: i }));
      },
      (i) => i,
      { maxBatch: 10, maxBatchBytes: 10, maxInFlight: 1 },
    );
    const results = [4, 0, 4, 4, 50, 1].map((i) => put(i).catch((e: Error) => e.message));
    gate.release();
    expect(await Promise.all(results)).toEqual([4, 'store down', 'store down', 'store down', 50, 1]);
    expect(batches).toEqual([[4], [0, 4, 4], [50], [1]]);
  });

  it('runs up to maxInFlight batches at once', async () => {
    let active = 0;
    let most = 0;
    const put = groupCommit<number, number>(
      async (items) => {
        most = Math.max(most, ++active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active--;
        return items.map((i) => ({ ok: true, value: i }));
      },
      () => 1,
      { maxBatch: 2, maxBatchBytes: 100, maxInFlight: 2 },
    );
    expect(await Promise.all(Array.from({ length: 9 }, (_, i) => put(i)))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(most).toBe(2);
  });
});
