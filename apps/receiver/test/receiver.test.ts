import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createSealer, createTrustStore, generateLocalKeyPair } from '@sealpost/envelope';
import { createSqliteStore } from '@sealpost/store';
import { createSpoolTransport } from '@sealpost/transport';
import { createReceiverMetrics, loadReceiverConfig, startReceiver } from '../src/index.ts';
import { storeFromConfig } from '../src/store-from-config.ts';

describe('the receiver: metrics and health', () => {
  it('serves /healthz, /readyz and Prometheus metrics that count what happened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-receiver-'));
    const sender = await generateLocalKeyPair('ec-p256');
    const receiverKey = await generateLocalKeyPair('rsa-2048');
    const { sender: transport, consumer } = createSpoolTransport(join(dir, 'spool'), { pollIntervalMs: 10 });
    const receiver = await startReceiver({
      opener: createOpener({ keys: createLocalKeyUnwrapper(receiverKey.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]) }),
      store: createSqliteStore(join(dir, 'messages.db')),
      consumer,
      metrics: createReceiverMetrics(),
      logger: pino({ level: 'silent' }),
      http: { host: '127.0.0.1', port: 0 },
    });
    try {
      const base = `http://127.0.0.1:${receiver.httpPort}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(receiverKey.publicKeyPem)] });
      const message = await sealer.seal(Buffer.from('SECRET-PAYLOAD-7f3a'));
      await transport.send(message.envelope);
      await transport.send(message.envelope);
      await transport.send(Buffer.from('garbage'));
      let metrics = '';
      for (let i = 0; i < 200; i++) {
        metrics = await (await fetch(`${base}/metrics`)).text();
        // Received counts a delivery as it starts: wait for every outcome, not only for the receipts.
        if (['received_total 3', 'stored_total 1', 'duplicate_total 1', 'rejected_total{code="FORMAT_MAGIC"} 1'].every((m) => metrics.includes(`sealpost_messages_${m}`))) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(metrics).toMatch(/sealpost_messages_received_total 3/);
      expect(metrics).toMatch(/sealpost_messages_stored_total 1/);
      expect(metrics).toMatch(/sealpost_messages_duplicate_total 1/);
      expect(metrics).toMatch(/sealpost_messages_rejected_total\{code="FORMAT_MAGIC"\} 1/);
      expect(metrics).toMatch(/sealpost_open_duration_seconds_count 3/);
      expect(metrics).toMatch(/nodejs_eventloop_lag_p99_seconds/);
      expect(metrics).not.toContain('SECRET-PAYLOAD');
    } finally {
      await receiver.stop();
      await receiver.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the receiver: large payloads', () => {
  it('keeps payloads over SEALPOST_INLINE_PAYLOAD_MAX in SEALPOST_BLOB_STORE: a redelivery writes no second blob', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-receiver-'));
    const sender = await generateLocalKeyPair('ec-p256');
    const receiverKey = await generateLocalKeyPair('rsa-2048');
    const config = await loadReceiverConfig({
      env: { SEALPOST_KEYS: 'unused.pem', SEALPOST_TRUST: 'unused.pub.pem', SEALPOST_STORE: `sqlite:${join(dir, 'db', 'messages.db')}`, SEALPOST_BLOB_STORE: `dir:${join(dir, 'payloads')}`, SEALPOST_INLINE_PAYLOAD_MAX: '4096' },
    });
    const store = storeFromConfig(config);
    const { sender: transport, consumer } = createSpoolTransport(join(dir, 'spool'), { pollIntervalMs: 10 });
    const metrics = createReceiverMetrics();
    const receiver = await startReceiver({
      opener: createOpener({ keys: createLocalKeyUnwrapper(receiverKey.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]) }),
      store,
      consumer,
      metrics,
      logger: pino({ level: 'silent' }),
    });
    try {
      const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(receiverKey.publicKeyPem)] });
      const large = randomBytes(100_000);
      const small = randomBytes(4096);
      const [big, little] = [await sealer.seal(large, { name: 'large.bin' }), await sealer.seal(small, { name: 'small.bin' })];
      await transport.send(big.envelope);
      await transport.send(little.envelope);
      await transport.send(big.envelope);
      let listed: Awaited<ReturnType<typeof store.list>> = [];
      for (let i = 0; i < 600 && (listed.length < 2 || !(await metrics.registry.metrics()).includes('sealpost_messages_duplicate_total 1')); i++) {
        listed = await store.list();
        await new Promise((r) => setTimeout(r, 50));
      }
      const byName = new Map(listed.map((m) => [m.payloadName, m]));
      expect(byName.get('large.bin')).toMatchObject({ size: large.length, payloadRef: expect.stringMatching(/^dir:/) });
      expect(byName.get('small.bin')!.payloadRef).toBeUndefined();
      expect((await buffer((await store.openPayload(byName.get('large.bin')!.id))!)).equals(large)).toBe(true);
      expect((await buffer((await store.openPayload(byName.get('small.bin')!.id))!)).equals(small)).toBe(true);
      const files = (await readdir(join(dir, 'payloads'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      expect(files).toHaveLength(1);
      expect(await readdir(join(dir, 'db'))).not.toContain('blobs');
    } finally {
      await receiver.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
