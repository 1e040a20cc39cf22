import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
// Any measured value, however large or small on a busy machine: 0.4, 87, 1,261, 12,345.6.
const N = String.raw`[\d,.]+`;

describe('pnpm bench --quick', () => {
  it('runs every section end to end and prints the tables, accepting any measured value (no speed is asserted)', async () => {
    const { stdout } = await run(process.execPath, [resolve(import.meta.dirname, '../bench/run.ts'), '--quick'], { maxBuffer: 16 * 1024 * 1024 });
    for (const heading of ['## Targets', '## Reading', '### 1. Machine limits', '### 2. 1 KiB messages', '### 2b. Where the time', '### 3. Large payloads', '### 4. Through the queue', '### 4b. Workers on one BullMQ queue', '### 5. KMS cost', '### 6. Batch signing', '### 7. Large messages offloaded to S3']) {
      expect(stdout).toContain(heading);
    }
    expect(stdout).toMatch(new RegExp(String.raw`Sealpost, data-key reuse \+ receiver cache: seal \| ${N}`));
    expect(stdout).toMatch(new RegExp(String.raw`jose nested JWT .*: open \| ${N}`));
    expect(stdout).toMatch(new RegExp(String.raw`AWS Encryption SDK, caching materials manager: open \| ${N}`));
    expect(stdout).toMatch(new RegExp(String.raw`Sealpost 16 MiB: open .* \| ${N} \| MB\/s`));
    expect(stdout).toMatch(new RegExp(String.raw`Sealpost 16 MiB: seal, generated stream .* \| ${N} \(`));
    expect(stdout).toMatch(new RegExp(String.raw`BullMQ: bare worker inserting each payload into PostgreSQL: throughput \| ${N}`));
    expect(stdout).toMatch(new RegExp(String.raw`SQS \(emulator\): Sealpost sender -> worker -> PostgreSQL: throughput \| ${N}`));
    expect(stdout).toMatch(new RegExp(String.raw`3 sealpost-receiver processes -> PostgreSQL: throughput \| ${N}`));
    expect(stdout).toMatch(new RegExp(String.raw`open: all of Sealpost's own steps \| ${N} \| µs`));
    expect(stdout).toMatch(new RegExp(String.raw`open batch-signed, P-521 sender, statement cache \| ${N}`));
    expect(stdout).toMatch(new RegExp(String.raw`Sealpost sendFile -> S3 \+ SQS pointer -> receiver -> SQLite store \(blob\) \| ${N} \| MB\/s`));
  }, 900_000);
});
