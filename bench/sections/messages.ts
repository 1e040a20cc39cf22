import { rate, type Measurement, type Plan } from '../lib/measure.ts';
import type { Row } from '../lib/report.ts';
import { benchKeys, esdk, handRolled, jose, sealpost, type Contender } from './peers.ts';

const CONCURRENCY = 32;

/** Per-contender results of section 2. */
export interface MessageResults {
  readonly byName: Map<string, { seal: Measurement; open: Measurement; both: Measurement; wire: number }>;
  readonly names: { sealpostReuse: string; sealpostFresh: string; jose: string };
}

/** Section 2: 1 KiB JSON messages, P-256 signer, RSA-4096 recipient, Sealpost beside its peers. */
export async function messagesSection(plan: Plan): Promise<{ rows: Row[]; results: MessageResults }> {
  const section = '2. 1 KiB messages: Sealpost and its peers (P-256 signer, RSA-4096 recipient)';
  const payload = Buffer.from(JSON.stringify({ data: 'x'.repeat(1000) }).slice(0, 1024));
  const keys = benchKeys();
  const contenders: Contender[] = [sealpost(keys, false), sealpost(keys, true), handRolled(keys), jose(keys), esdk(keys, false), esdk(keys, true)];
  const rows: Row[] = [];
  const byName: MessageResults['byName'] = new Map();
  for (const c of contenders) {
    const sample = await c.seal(payload);
    await c.open(sample);
    const seal = await rate(() => c.seal(payload), plan, CONCURRENCY);
    const open = await rate(() => c.open(sample), plan, CONCURRENCY);
    const both = await rate(async () => c.open(await c.seal(payload)), plan, CONCURRENCY);
    const wire = typeof sample === 'string' ? Buffer.byteLength(sample) : sample.length;
    byName.set(c.name, { seal, open, both, wire });
    rows.push(
      { section, name: `${c.name}: seal`, value: seal, unit: 'msg/s', note: `${CONCURRENCY} in flight` },
      { section, name: `${c.name}: open`, value: open, unit: 'msg/s', note: `${CONCURRENCY} in flight` },
      { section, name: `${c.name}: seal + open`, value: both, unit: 'msg/s', note: `${CONCURRENCY} in flight` },
      { section, name: `${c.name}: bytes on the wire`, value: { median: wire, min: wire, max: wire, reps: 1 }, unit: 'bytes', note: typeof sample === 'string' ? 'compact JWE text' : 'binary (base64 on SQS adds 4/3)' },
    );
  }
  return { rows, results: { byName, names: { sealpostReuse: contenders[1]!.name, sealpostFresh: contenders[0]!.name, jose: contenders[3]!.name } } };
}
