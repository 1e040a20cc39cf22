import type { BatchResults } from '../sections/batch.ts';
import { table, targetTable, type Row, type Target } from './report.ts';

/** The batch-signing targets (issue goals), from section 6's results. */
export function batchTargets(batch: BatchResults): Target[] {
  const t = (name: string, goal: string, value: number, min: number, detail: string): Target => ({ name, goal, ratio: value, met: value >= min, detail });
  const cpu = (m: { perCpuSecond?: number }) => Math.round(m.perCpuSecond ?? 0);
  return [
    // Against the better of the measured per-message rate and the quota itself: a per-message run
    // slowed by anything (the SDK backing off, a busy emulator) must not inflate the ratio.
    t(
      'send with KMS at 300 Sign/s: batch vs per-message signing',
      '>= 30x',
      batch.sendBatch / Math.max(batch.sendPerMessage, batch.quota),
      30,
      `${Math.round(batch.sendBatch)} msg/s vs ${Math.round(Math.max(batch.sendPerMessage, batch.quota))}, the better of the quota (${batch.quota}) and the measured per-message rate (${Math.round(batch.sendPerMessage)}); ${(batch.sendBatch / batch.sendPerMessage).toFixed(1)}x the measured rate`,
    ),
    { name: 'send with batch signing: KMS calls per message', goal: '<= 0.01', ratio: batch.batchCallsPerMessage / 0.01, met: batch.batchCallsPerMessage <= 0.01, detail: `${batch.batchCallsPerMessage.toFixed(4)} calls/msg` },
    t(
      '1 KiB open, batch-signed P-256, statement cache, vs raw P-256 verify',
      '>= 2x',
      batch.openBatch.p256.median / batch.rawVerify.p256.median,
      2,
      `${Math.round(batch.openBatch.p256.median)} vs ${Math.round(batch.rawVerify.p256.median)} /s, measured in turns; per CPU-second ${cpu(batch.openBatch.p256)} vs ${cpu(batch.rawVerify.p256)}`,
    ),
    t(
      '1 KiB open, batch-signed P-521, statement cache, vs raw P-521 verify',
      '>= 10x',
      batch.openBatch.p521.median / batch.rawVerify.p521.median,
      10,
      `${Math.round(batch.openBatch.p521.median)} vs ${Math.round(batch.rawVerify.p521.median)} /s, measured in turns; per CPU-second ${cpu(batch.openBatch.p521)} vs ${cpu(batch.rawVerify.p521)}`,
    ),
  ];
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** What limits each figure of section 6, in this run's numbers. */
export function batchReading(batch: BatchResults): string {
  const { breakdown } = batch;
  const sealSteps = breakdown.seal.reduce((t, [, v]) => t + v, 0);
  const openSteps = breakdown.open.reduce((t, [, v]) => t + v, 0);
  const biggest = [...breakdown.open].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const step = (prefix: string) => breakdown.open.find(([name]) => name.startsWith(prefix))?.[1] ?? 0;
  const crypto = step('open: HKDF') + step('open: AES-256-GCM') + step('open: SHA-256 of the payload');
  const ratioCpu = (open?: number, raw?: number) => (open && raw ? (open / raw).toFixed(2) : 'n/a');
  return [
    '#### What limits each figure',
    '',
    `- **Per-message signing** cannot pass the KMS quota: one Sign per message against ${batch.quota} ECC requests per second. ${n(batch.sendPerMessage)} msg/s were measured${batch.sendPerMessage < 0.8 * batch.quota ? ": the AWS SDK's adaptive retry mode, after its first ThrottlingExceptions, holds its own request rate well below the quota (as a sender with the default client settings would)" : ''}. The target compares batch signing with the better of that rate and the quota itself (${batch.quota} msg/s), so a slow per-message run cannot inflate the ratio.`,
    `- **Batch signing** needs ${batch.batchCallsPerMessage.toFixed(4)} KMS calls per message (one Sign per batch of up to 256), so the quota allows some 76,800 msg/s; what limits the sender is its own CPU time, ${batch.sendBatchCpuUs.toFixed(1)} µs per message measured over the run (${sealSteps.toFixed(1)} µs of it the seal steps below, the rest promises, the transport hand-over, the AWS SDK's share and garbage collection). One vCPU's worth of CPU time then sends about ${n(1e6 / batch.sendBatchCpuUs)} msg/s; the sender spreads that time over its main thread and helper threads (garbage collection), and shares this machine's two vCPUs with the KMS emulator and other work: ${n(batch.sendBatch)} msg/s were measured, ${(batch.sendBatch / batch.sendPerMessage).toFixed(1)}x the measured per-message rate and ${(batch.sendBatch / Math.max(batch.sendPerMessage, batch.quota)).toFixed(1)}x the quota.`,
    `- **Opening** a batch-signed 1 KiB message with warm caches costs ${breakdown.openWholeUs.toFixed(1)} µs of CPU one at a time, ${openSteps.toFixed(1)} µs of it the steps below; the largest are ${biggest.map(([name, v]) => `${name.replace(/^open: /, '')} (${v.toFixed(1)} µs)`).join(', ')}. None of them is the signature any more: the format requires every one of them for every message (section 9 of FORMAT.md). The OpenSSL calls alone (HKDF, AES-GCM, the payload's SHA-256) take ${crypto.toFixed(1)} µs, their fixed set-up cost dominating at 1 KiB; the rest is the strict reading of the header, tar and manifest, and the promises between the steps.`,
    `- Against **P-256** (one verification: ${breakdown.verifyUs.p256.toFixed(1)} µs of CPU), 2x the raw verify rate would need a whole open in ${(breakdown.verifyUs.p256 / 2).toFixed(1)} µs: ${openSteps > breakdown.verifyUs.p256 / 2 ? `less than the required steps take here (${openSteps.toFixed(1)} µs). The OpenSSL calls alone take ${crypto.toFixed(1)} µs, which would leave ${(breakdown.verifyUs.p256 / 2 - crypto).toFixed(1)} µs for everything else a message needs: the strict reading and checks of header, tar, manifest and proof, the cache lookups and the promises between the steps, which take ${(breakdown.openWholeUs - crypto).toFixed(1)} µs here. So the goal is out of reach on this machine with this format and a JavaScript reader` : `the required steps take ${openSteps.toFixed(1)} µs, so what is left is promise and check overhead`}. By CPU time the open does ${ratioCpu(batch.openBatch.p256.perCpuSecond, batch.rawVerify.p256.perCpuSecond)}x the raw verify rate; by wall time ${(batch.openBatch.p256.median / batch.rawVerify.p256.median).toFixed(2)}x (32 opens in flight let garbage collection and the thread pool use the second vCPU; the raw verify runs on one thread).`,
    `- Against **P-521** (${breakdown.verifyUs.p521.toFixed(1)} µs per verification) the statement cache removes a cost far larger than the open's own work: ${(batch.openBatch.p521.median / batch.rawVerify.p521.median).toFixed(1)}x the raw verify rate by wall time, ${ratioCpu(batch.openBatch.p521.perCpuSecond, batch.rawVerify.p521.perCpuSecond)}x by CPU time.`,
    `- **End to end** through BullMQ into PostgreSQL, the queue and the database set the pace (section 4): batch signing lifts the KMS ceiling (${n(batch.e2e.perMessage)} msg/s with a Sign per message) to ${n(batch.e2e.batch)} msg/s.`,
    `- The machine is shared: wall-clock rates move with other processes' load, so each ratio is measured in turns in one run, and the CPU-time figures (per CPU-second of this process) are given beside them.`,
  ].join('\n');
}

/** Section 6 as Markdown: the rows, the section's targets and what limits each figure. */
export function batchMarkdown(rows: readonly Row[], batch: BatchResults): string {
  return [table(rows).replace(/^\n/, ''), '', '#### Targets of this section', '', targetTable(batchTargets(batch)), '', batchReading(batch), ''].join('\n');
}

/**
 * BENCHMARKS.md with section 6 and the batch targets replaced by this run's (`pnpm bench --only
 * batch`): the other sections, measured by the last full run, stay as they are. The section is
 * appended when the file has none, and a line under the title says when it was measured.
 */
export function updateBatchSection(existing: string, section: string, targets: readonly Target[], stamp: string): string {
  let text = existing;
  const start = text.search(/^### 6\. /m);
  if (start === -1) {
    text = `${text.trimEnd()}\n\n${section}`;
  } else {
    const rest = text.slice(start + 4);
    const next = rest.search(/^### /m);
    text = text.slice(0, start) + section + (next === -1 ? '' : `\n${rest.slice(next)}`);
  }
  // The batch rows of the main Targets table (not the section's own): replaced where they are, or added at its end.
  const lines = text.split('\n');
  const title = lines.indexOf('## Targets');
  const header = lines.findIndex((line, i) => i > title && line.startsWith('| target | goal |'));
  if (title !== -1 && header !== -1) {
    for (const row of targetTable(targets).split('\n').slice(2)) {
      const name = row.split(' | ')[0]!;
      let end = header + 2;
      while (end < lines.length && lines[end]!.startsWith('|')) end++;
      const at = lines.slice(header + 2, end).findIndex((line) => line.startsWith(`${name} |`));
      if (at !== -1) lines[header + 2 + at] = row;
      else lines.splice(end, 0, row);
    }
  }
  text = lines.join('\n');
  const note = `Section 6 (batch signing) and its targets: ${stamp}.`;
  text = /^Section 6 \(batch signing\) and its targets: .*$/m.test(text)
    ? text.replace(/^Section 6 \(batch signing\) and its targets: .*$/m, note)
    : text.replace(/^(Generated by .*)$/m, `$1\n\n${note}`);
  return text.endsWith('\n') ? text : `${text}\n`;
}
