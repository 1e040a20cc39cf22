import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SealpostError } from '@sealpost/envelope';
import type { Delivery, TransportConsumer, TransportSender } from '../src/index.ts';

/** A transport under test, with a way to read what it dead-lettered. */
export interface TransportUnderTest {
  sender: TransportSender;
  consumer: TransportConsumer;
  /** A second consumer over the same backend (a restarted worker). */
  reopen(): TransportConsumer;
  /** Dead-lettered envelopes with their error code. */
  deadLetters(): Promise<{ envelope: Buffer; code: string }[]>;
  /** Puts deliveries no sender of this transport would write straight into the backend; resolves to how many. */
  injectMalformed(): Promise<number>;
  /** Puts one delivery larger than the transport's `maxEnvelopeBytes` straight into the backend. */
  injectOversized(): Promise<void>;
  /** How many times the backend has handed out deliveries that are still held (not dead-lettered or acked). */
  pending(): Promise<number>;
  cleanup(): Promise<void>;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

/** The acknowledgement rules every transport must follow, against its real backend. */
export function describeTransportConformance(name: string, make: () => Promise<TransportUnderTest>) {
  describe(`${name}: transport conformance`, () => {
    let t: TransportUnderTest | undefined;
    afterEach(async () => {
      await t?.consumer.stop(2000);
      await t?.sender.close();
      await t?.cleanup();
      t = undefined;
    });

    it('delivers every envelope exactly once, byte for byte, in batches too', async () => {
      t = await make();
      const sent = Array.from({ length: 30 }, (_, i) => randomBytes(100 + i));
      for (const envelope of sent.slice(0, 10)) await t.sender.send(envelope);
      await t.sender.sendBatch(sent.slice(10).map((envelope) => ({ envelope })));
      const received: Buffer[] = [];
      await t.consumer.start(async (d: Delivery) => {
        received.push(Buffer.from(d.envelope));
      });
      await until(() => received.length >= 30);
      await sleep(300);
      expect(received.length).toBe(30);
      expect(new Set(received.map((b) => b.toString('hex')))).toEqual(new Set(sent.map((b) => b.toString('hex'))));
    });

    it('dead-letters a permanent failure after one attempt with its code, and acks the good ones around it', async () => {
      t = await make();
      const poison = Buffer.from('poison');
      const good = [Buffer.from('good-1'), Buffer.from('good-2')];
      await t.sender.send(good[0]!);
      await t.sender.send(poison);
      await t.sender.send(good[1]!);
      const attempts = new Map<string, number>();
      const acked: string[] = [];
      await t.consumer.start(async (d) => {
        const text = Buffer.from(d.envelope).toString();
        attempts.set(text, (attempts.get(text) ?? 0) + 1);
        if (text === 'poison') throw new SealpostError('SIGNATURE_INVALID');
        acked.push(text);
      });
      await until(async () => acked.length === 2 && (await t!.deadLetters()).length === 1);
      expect(attempts.get('poison')).toBe(1);
      const dead = await t.deadLetters();
      expect(dead[0]!.envelope.toString()).toBe('poison');
      expect(dead[0]!.code).toBe('SIGNATURE_INVALID');
    });

    it('dead-letters every malformed delivery with a code after one attempt, without calling the handler', async () => {
      t = await make();
      const count = await t.injectMalformed();
      await t.sender.send(Buffer.from('good'));
      const seen: string[] = [];
      await t.consumer.start(async (d) => {
        seen.push(Buffer.from(d.envelope).toString());
      });
      await until(async () => seen.length === 1 && (await t!.deadLetters()).length === count);
      await sleep(300);
      expect(seen).toEqual(['good']);
      const dead = await t.deadLetters();
      expect(dead).toHaveLength(count);
      expect(dead.every((d) => d.code === 'FORMAT_INVALID')).toBe(true);
      expect(await t.pending()).toBe(0);
    });

    it('dead-letters a delivery over the size limit before decoding it (MESSAGE_TOO_LARGE)', async () => {
      t = await make();
      await t.injectOversized();
      const seen: number[] = [];
      await t.consumer.start(async (d) => {
        seen.push(d.envelope.length);
      });
      await until(async () => (await t!.deadLetters()).length === 1);
      expect(seen).toEqual([]);
      expect((await t.deadLetters())[0]!.code).toBe('MESSAGE_TOO_LARGE');
      expect(await t.pending()).toBe(0);
    });

    it('retries a transient failure until it succeeds, never dead-lettering it', async () => {
      t = await make();
      await t.sender.send(Buffer.from('flaky'));
      let calls = 0;
      let done = false;
      await t.consumer.start(async () => {
        calls++;
        if (calls < 3) throw new SealpostError('STORE_UNAVAILABLE');
        done = true;
      });
      await until(() => done);
      expect(calls).toBe(3);
      expect(await t.deadLetters()).toEqual([]);
    });

    it('acknowledges nothing while the handler is pending: after a stop past its deadline it is delivered again', async () => {
      t = await make();
      await t.sender.send(Buffer.from('slow'));
      let started = false;
      await t.consumer.start(async () => {
        started = true;
        await sleep(60_000);
      });
      await until(() => started);
      await t.consumer.stop(100);
      const next = t.reopen();
      let redelivered: Delivery | undefined;
      await next.start(async (d) => {
        redelivered = d;
      });
      try {
        await until(() => redelivered !== undefined);
        expect(Buffer.from(redelivered!.envelope).toString()).toBe('slow');
      } finally {
        await next.stop(1000);
      }
    });
  });
}
