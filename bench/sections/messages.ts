import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { interleaved, type Measurement, type Operation, type Plan } from '../lib/measure.ts';
import type { Row } from '../lib/report.ts';
import { benchKeys, esdk, handRolled, jose, sealpost, type Contender } from './peers.ts';

const CONCURRENCY = 32;

/** Per-contender results of section 2, and the raw P-256 rates measured in the same turns. */
export interface MessageResults {
  readonly byName: Map<string, { seal: Measurement; open: Measurement; both: Measurement; sealOne: Measurement; openOne: Measurement; wire: number }>;
  readonly names: { sealpostReuse: string; sealpostFresh: string; jose: string };
  readonly rawSign: Measurement;
  readonly rawVerify: Measurement;
}

/**
 * Section 2: 1 KiB JSON messages, P-256 signer, RSA-4096 recipient, Sealpost beside its peers,
 * with a raw P-256 sign and verify on one thread as the yardstick. Every operation is measured
 * in turns with all the others (see `interleaved`), so the ratios see the same machine.
 */
export async function messagesSection(plan: Plan): Promise<{ rows: Row[]; results: MessageResults }> {
  const section = '2. 1 KiB messages: Sealpost and its peers (P-256 signer, RSA-4096 recipient; measured in turns)';
  const payload = Buffer.from(JSON.stringify({ data: 'x'.repeat(1000) }).slice(0, 1024));
  const keys = benchKeys();
  const contenders: Contender[] = [sealpost(keys, false), sealpost(keys, true), handRolled(keys), jose(keys), esdk(keys, false), esdk(keys, true)];
  const samples = new Map<string, Uint8Array | string>();
  for (const c of contenders) {
    samples.set(c.name, await c.seal(payload));
    await c.open(samples.get(c.name)!);
  }
  const yardstick = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const manifestSized = Buffer.alloc(400, 1);
  const signature = sign('sha256', manifestSized, yardstick.privateKey);
  const RAW_SIGN = 'node:crypto ECDSA P-256 sign, one thread';
  const RAW_VERIFY = 'node:crypto ECDSA P-256 verify, one thread';
  const ops: Operation[] = [
    { name: RAW_SIGN, sync: true, run: () => sign('sha256', manifestSized, yardstick.privateKey) },
    { name: RAW_VERIFY, sync: true, run: () => verify('sha256', manifestSized, yardstick.publicKey, signature) },
    ...contenders.flatMap((c): Operation[] => [
      { name: `${c.name}: seal`, run: () => c.seal(payload), concurrency: CONCURRENCY },
      { name: `${c.name}: open`, run: () => c.open(samples.get(c.name)!), concurrency: CONCURRENCY },
      { name: `${c.name}: seal + open`, run: async () => c.open(await c.seal(payload)), concurrency: CONCURRENCY },
      { name: `${c.name}: seal, one at a time`, run: () => c.seal(payload), concurrency: 1 },
      { name: `${c.name}: open, one at a time`, run: () => c.open(samples.get(c.name)!), concurrency: 1 },
    ]),
  ];
  const measured = await interleaved(ops, plan);
  const rows: Row[] = [
    { section, name: RAW_SIGN, value: measured.get(RAW_SIGN)!, unit: 'ops/s', note: 'the yardstick for seal' },
    { section, name: RAW_VERIFY, value: measured.get(RAW_VERIFY)!, unit: 'ops/s', note: 'the yardstick for open' },
  ];
  const byName: MessageResults['byName'] = new Map();
  for (const c of contenders) {
    const sample = samples.get(c.name)!;
    const [seal, open, both, sealOne, openOne] = ['seal', 'open', 'seal + open', 'seal, one at a time', 'open, one at a time'].map((what) => measured.get(`${c.name}: ${what}`)!) as [Measurement, Measurement, Measurement, Measurement, Measurement];
    const wire = typeof sample === 'string' ? Buffer.byteLength(sample) : sample.length;
    byName.set(c.name, { seal, open, both, sealOne, openOne, wire });
    rows.push(
      { section, name: `${c.name}: seal`, value: seal, unit: 'msg/s', note: `${CONCURRENCY} in flight` },
      { section, name: `${c.name}: open`, value: open, unit: 'msg/s', note: `${CONCURRENCY} in flight` },
      { section, name: `${c.name}: seal + open`, value: both, unit: 'msg/s', note: `${CONCURRENCY} in flight` },
      { section, name: `${c.name}: seal, one at a time`, value: sealOne, unit: 'msg/s', note: 'each awaited before the next' },
      { section, name: `${c.name}: open, one at a time`, value: openOne, unit: 'msg/s', note: 'each awaited before the next' },
      { section, name: `${c.name}: bytes on the wire`, value: { median: wire, min: wire, max: wire, reps: 1 }, unit: 'bytes', note: typeof sample === 'string' ? 'compact JWE text' : 'binary (base64 on SQS adds 4/3)' },
    );
  }
  return {
    rows,
    results: { byName, names: { sealpostReuse: contenders[1]!.name, sealpostFresh: contenders[0]!.name, jose: contenders[3]!.name }, rawSign: measured.get(RAW_SIGN)!, rawVerify: measured.get(RAW_VERIFY)! },
  };
}
