import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('pnpm bench --quick', () => {
  it('runs every section end to end and prints the tables (no speed is asserted)', async () => {
    const { stdout } = await run(process.execPath, [resolve(import.meta.dirname, '../bench/run.ts'), '--quick'], { maxBuffer: 16 * 1024 * 1024, timeout: 240_000 });
    for (const heading of ['## Targets', '## Reading', '### 1. Machine limits', '### 2. 1 KiB messages', '### 2b. Where the time', '### 3. Large payloads', '### 4. Through the queue', '### 5. KMS cost']) {
      expect(stdout).toContain(heading);
    }
    expect(stdout).toMatch(/Sealpost, data-key reuse \+ receiver cache: seal \| [\d,]+/);
    expect(stdout).toMatch(/jose nested JWT .*: open \| [\d,.]+/);
    expect(stdout).toMatch(/AWS Encryption SDK, caching materials manager: open \| [\d,.]+/);
    expect(stdout).toMatch(/Sealpost 16 MiB: open .* \| [\d,.]+ \| MB\/s/);
    expect(stdout).toMatch(/Sealpost 16 MiB: seal, generated stream .* \| [\d,.]+ \(/);
    expect(stdout).toMatch(/BullMQ: bare worker inserting each payload into PostgreSQL: throughput \| [\d,.]+/);
    expect(stdout).toMatch(/SQS \(emulator\): Sealpost sender -> worker -> PostgreSQL: throughput \| [\d,.]+/);
    expect(stdout).toMatch(/open: all of Sealpost's own steps \| [\d.,]+ \| µs/);
  }, 300_000);
});
