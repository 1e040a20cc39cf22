import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createSealer, createTrustStore, generateLocalKeyPair } from '@sealpost/envelope';
import { createSqliteStore } from '@sealpost/store';
import { createSpoolTransport } from '@sealpost/transport';
import { createReceiverMetrics, startReceiver } from '../src/index.ts';

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
        if (/sealpost_messages_received_total 3/.test(metrics)) break;
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
