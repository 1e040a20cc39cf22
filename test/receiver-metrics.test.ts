import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, createLocalKeyWrapper, createLocalSigner, createSealer } from '@sealpost/envelope';
import { RECEIVER_KMS_OPERATIONS } from '@sealpost/receiver';
import { openTransport } from '@sealpost/transport';
import { CLI, metricsUrl, spawnReceiver, until } from './support/receiver.ts';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-metrics-'));
  for (const [name, type] of [['sender', 'ec-p256'], ['stranger', 'ec-p256'], ['receiver', 'rsa-2048']]) {
    await run(process.execPath, [CLI, 'keygen', '--type', type!, '--out', join(dir, 'keys', name!)]);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One scrape: every sample, keyed by `name{labels}` exactly as exposed, and the raw text. */
async function scrape(url: string): Promise<{ text: string; value(name: string, labels?: Record<string, string>): number | undefined }> {
  const text = await (await fetch(url)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match) samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return {
    text,
    value: (name, labels = {}) => {
      const rendered = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
      return samples.get(rendered ? `${name}{${rendered}}` : name);
    },
  };
}

async function seal(signer: string): Promise<Uint8Array> {
  const pem = (name: string) => readFile(join(dir, 'keys', name), 'utf8');
  const sealer = createSealer({ signer: createLocalSigner(await pem(signer)), recipients: [createLocalKeyWrapper(await pem('receiver.pub.pem'))] });
  return (await sealer.seal(Buffer.from('{"order":"SECRET-PAYLOAD-7f3a"}'))).envelope;
}

describe('receiver metrics, scraped from a running sealpost-receiver', () => {
  it('every labelled series exists at zero before the first message; a good and an untrusted message move them, with the right code', async () => {
    const transport = `spool:${join(dir, 'spool')}`;
    const receiver = spawnReceiver(join(dir, 'keys'), transport, `sqlite:${join(dir, 'messages.db')}`, { SEALPOST_METRICS_PORT: '0', SEALPOST_LOG_LEVEL: 'info' }, { stdout: 'pipe' });
    try {
      const url = await metricsUrl(receiver);
      const before = await scrape(url);
      const codes = Object.keys(ERROR_CODES);
      for (const name of ['sealpost_messages_dead_lettered_total', 'sealpost_messages_rejected_total', 'sealpost_messages_retried_total']) {
        for (const code of codes) expect(before.value(name, { code }), `${name}{code="${code}"}`).toBe(0);
      }
      for (const operation of RECEIVER_KMS_OPERATIONS) expect(before.value('sealpost_kms_calls_total', { operation })).toBe(0);
      for (const name of ['sealpost_messages_received_total', 'sealpost_received_bytes_total', 'sealpost_messages_in_flight', 'sealpost_messages_stored_total', 'sealpost_messages_duplicate_total']) {
        expect(before.value(name), name).toBe(0);
      }
      const { version } = JSON.parse(await readFile(join(import.meta.dirname, '../apps/receiver/package.json'), 'utf8')) as { version: string };
      expect(before.value('sealpost_build_info', { version, node_version: process.versions.node, transport: 'spool', store: 'sqlite' })).toBe(1);

      const good = await seal('sender.pem');
      const bad = await seal('stranger.pem');
      const sender = openTransport(transport).sender;
      await sender.send(good);
      await sender.send(bad);
      await sender.close?.();
      let after = await scrape(url);
      await until(async () => {
        after = await scrape(url);
        return after.value('sealpost_messages_stored_total') === 1 && after.value('sealpost_messages_dead_lettered_total', { code: 'UNTRUSTED_SENDER' }) === 1;
      }, 120_000);
      expect(after.value('sealpost_messages_received_total')).toBe(2);
      expect(after.value('sealpost_received_bytes_total')).toBe(good.byteLength + bad.byteLength);
      expect(after.value('sealpost_messages_in_flight')).toBe(0);
      expect(after.value('sealpost_messages_rejected_total', { code: 'UNTRUSTED_SENDER' })).toBe(1);
      // Only that code moved.
      for (const code of codes.filter((c) => c !== 'UNTRUSTED_SENDER')) {
        expect(after.value('sealpost_messages_dead_lettered_total', { code }), code).toBe(0);
        expect(after.value('sealpost_messages_rejected_total', { code }), code).toBe(0);
      }
      for (const code of codes) expect(after.value('sealpost_messages_retried_total', { code }), code).toBe(0);
      expect(after.value('sealpost_process_duration_seconds_count')).toBe(1);
      expect(after.text).not.toContain('SECRET-PAYLOAD');
    } finally {
      receiver.kill('SIGTERM');
      await once(receiver, 'exit');
    }
  }, 300_000);
});
