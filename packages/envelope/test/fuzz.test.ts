import { describe, expect, it } from 'vitest';
import { formatReport, fuzz } from '../scripts/fuzz.ts';

describe('fuzzing the readers (packages/envelope/scripts/fuzz.ts; pnpm fuzz --minutes N runs it longer)', () => {
  it('on 800 byte-wise and structural mutations of valid envelopes, only permanent SealpostErrors escape, open and openStream/openFile agree on accept, reject and code, and a rejected input leaves nothing on disk', async () => {
    const started = Date.now();
    const report = await fuzz({ seed: 20261202, iterations: 800 });
    expect(report.findings, formatReport(report, (Date.now() - started) / 1000)).toEqual([]);
    // The mutations reach every layer: many distinct checks fail, and re-signed mutations still open.
    expect(Object.keys(report.byCode).length).toBeGreaterThanOrEqual(10);
    expect(report.accepted).toBeGreaterThan(0);
  }, 180_000);
});
