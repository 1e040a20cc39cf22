import { describe, expect, it } from 'vitest';
import { createScavenger, scavengeWhile } from '../src/index.ts';

describe('collecting dead buffers during long transfers', () => {
  it('scavengeWhile resolves and rejects as its work does, and stops collecting afterwards', async () => {
    expect(await scavengeWhile(async () => 42, 1)).toBe(42);
    await expect(scavengeWhile(() => Promise.reject(new Error('boom')), 1)).rejects.toThrow('boom');
    // Work that outlives several intervals still completes.
    expect(await scavengeWhile(() => new Promise((resolve) => setTimeout(() => resolve('done'), 30)), 1)).toBe('done');
  });

  it('a scavenger counts bytes and can be fed any amount', () => {
    const scavenge = createScavenger(1024, 4096);
    for (let i = 0; i < 100; i++) scavenge(700);
    expect(() => scavenge(0)).not.toThrow();
  });
});
