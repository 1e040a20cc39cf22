import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SealpostError } from '@sealpost/envelope';
import { createErrorReporter } from '../src/error-reporter.ts';

describe('transport error reports', () => {
  afterEach(() => vi.useRealTimers());

  it('an outage is logged with capped backoff: first at once, then one line per doubling window up to 60 s, with the count left out, no stack', () => {
    vi.useFakeTimers({ now: 0 });
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const reporter = createErrorReporter(logger, 'transport error; retrying with backoff');
    const outage = new SealpostError('TRANSPORT_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:6379');
    // Ten failures a second for ten minutes.
    for (let t = 0; t < 600_000; t += 100) {
      vi.setSystemTime(t);
      reporter.report(outage);
    }
    const windows = lines.map((l) => l.nextReportInMs);
    expect(windows.slice(0, 8)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    expect(lines.length).toBeLessThan(20);
    expect(lines[1]).toMatchObject({ code: 'TRANSPORT_UNAVAILABLE', reason: 'connect ECONNREFUSED 127.0.0.1:6379', suppressed: 9 });
    expect(JSON.stringify(lines)).not.toContain('stack');
    reporter.recovered();
    reporter.report(outage);
    expect(lines.at(-1)).toMatchObject({ nextReportInMs: 1000 });
  });
});
