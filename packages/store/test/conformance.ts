import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSealpostError, uuidv7 } from '@sealpost/envelope';
import type { MessageStore, StoredMessage } from '../src/index.ts';

/** A stored message with fresh ids and bytes. */
export function sampleMessage(overrides: Partial<StoredMessage> = {}): StoredMessage {
  const payload = randomBytes(300);
  return {
    id: uuidv7(),
    senderKeyId: 'sender-key',
    senderAlgorithm: 'ECDSA_SHA_256',
    recipients: ['r1', 'r2'],
    createdAt: new Date(Date.now() - 1000),
    receivedAt: new Date(),
    payloadName: 'm.json',
    contentType: 'application/json',
    payload,
    payloadSha256: randomBytes(32),
    metadata: { tenant: 'acme' },
    manifest: randomBytes(200),
    signature: randomBytes(71),
    certificates: [],
    ...overrides,
  };
}

/** The behaviour every MessageStore must show, run against a real backend. */
export function describeMessageStoreConformance(name: string, makeStore: () => Promise<{ store: MessageStore; cleanup: () => Promise<void> }>, limits: { maxPayloadBytes?: number } = {}) {
  describe(`${name}: MessageStore conformance`, () => {
    let store: MessageStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
      await store.init();
      await store.init();
    });
    afterEach(async () => {
      await store.close();
      await store.close();
      await cleanup();
    });

    it('stores and returns a message byte for byte', async () => {
      const m = sampleMessage({ payload: randomBytes(Math.min(limits.maxPayloadBytes ?? Infinity, 5 * 1024 * 1024)) });
      expect(await store.put(m)).toBe('stored');
      const got = (await store.get(m.id))!;
      expect(Buffer.from(got.payload).equals(Buffer.from(m.payload))).toBe(true);
      expect(Buffer.from(got.manifest).equals(Buffer.from(m.manifest))).toBe(true);
      expect(Buffer.from(got.signature).equals(Buffer.from(m.signature))).toBe(true);
      expect(Buffer.from(got.payloadSha256).equals(Buffer.from(m.payloadSha256))).toBe(true);
      expect(got).toMatchObject({ id: m.id, senderKeyId: m.senderKeyId, senderAlgorithm: m.senderAlgorithm, recipients: m.recipients, payloadName: m.payloadName, contentType: m.contentType, metadata: m.metadata });
      expect(got.createdAt.getTime()).toBe(m.createdAt.getTime());
      expect(await store.get(uuidv7())).toBeUndefined();
    });

    it("keeps a certified sender's chain byte for byte, and its subject and fingerprint in listings", async () => {
      const certificates = [randomBytes(600), randomBytes(550)];
      const certified = sampleMessage({ certificates, senderSubject: 'CN=orders, O=Example', senderCertificate: 'ab'.repeat(32) });
      const plain = sampleMessage();
      expect(await store.put(certified)).toBe('stored');
      expect(await store.put(plain)).toBe('stored');
      const got = (await store.get(certified.id))!;
      expect(got.certificates.map((c) => Buffer.from(c))).toEqual(certificates);
      expect(got).toMatchObject({ senderSubject: 'CN=orders, O=Example', senderCertificate: 'ab'.repeat(32) });
      expect((await store.get(plain.id))!.certificates).toEqual([]);
      const listed = await store.list();
      expect(listed.find((m) => m.id === certified.id)).toMatchObject({ senderSubject: 'CN=orders, O=Example', senderCertificate: 'ab'.repeat(32) });
      expect(listed.find((m) => m.id === plain.id)!.senderSubject).toBeUndefined();
    });

    it('is idempotent: the same id and manifest is a duplicate, a different manifest is a replay', async () => {
      const m = sampleMessage();
      expect(await store.put(m)).toBe('stored');
      expect(await store.put({ ...m, receivedAt: new Date() })).toBe('duplicate');
      try {
        await store.put({ ...m, manifest: randomBytes(200), payload: Buffer.from('evil') });
        expect.unreachable('a replay must be rejected');
      } catch (error) {
        expect(isSealpostError(error, 'REPLAY_DETECTED')).toBe(true);
        expect((error as { transient: boolean }).transient).toBe(false);
      }
      expect(Buffer.from((await store.get(m.id))!.payload).equals(Buffer.from(m.payload))).toBe(true);
      expect((await store.list()).length).toBe(1);
    });

    it('stores exactly once under concurrent puts of the same message', async () => {
      const m = sampleMessage();
      const results = await Promise.all(Array.from({ length: 30 }, () => store.put(m)));
      expect(results.filter((r) => r === 'stored')).toHaveLength(1);
      expect(results.filter((r) => r === 'duplicate')).toHaveLength(29);
    });

    it('settles each of many concurrent puts on its own: new ones stored, a replay among them rejected', async () => {
      const first = sampleMessage();
      expect(await store.put(first)).toBe('stored');
      const fresh = Array.from({ length: 40 }, () => sampleMessage());
      const results = await Promise.allSettled([...fresh.map((m) => store.put(m)), store.put({ ...first, manifest: randomBytes(200) }), store.put(first)]);
      expect(results.slice(0, 40).map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual(fresh.map(() => 'stored'));
      expect(results[40]!.status === 'rejected' && isSealpostError(results[40]!.reason, 'REPLAY_DETECTED')).toBe(true);
      expect(results[41]).toEqual({ status: 'fulfilled', value: 'duplicate' });
      expect((await store.list({ limit: 100 })).length).toBe(41);
    });

    it('accepts every message the envelope accepts: U+0000 and any Unicode in metadata and recipient ids, an empty payload', async () => {
      const odd = 'nul \u0000 tab \t newline \n quote " backslash \\ line sep \u2028 BOM \ufeff max BMP \uffff astral \u{1f600} accents é';
      const messages = [
        sampleMessage({ metadata: { note: odd, empty: '', 'k.0': '\u0000' }, recipients: ['r1', `r\u0000${odd}`] }),
        sampleMessage({ payload: new Uint8Array(0), metadata: {} }),
      ];
      for (const m of messages) {
        expect(await store.put(m)).toBe('stored');
        const got = (await store.get(m.id))!;
        expect(got.metadata).toEqual(m.metadata);
        expect(got.recipients).toEqual(m.recipients);
        expect(Buffer.from(got.payload).equals(Buffer.from(m.payload))).toBe(true);
        expect(await store.put(m)).toBe('duplicate');
      }
      const listed = new Map((await store.list()).map((s) => [s.id, s]));
      for (const m of messages) expect(listed.get(m.id)).toMatchObject({ metadata: m.metadata, recipients: m.recipients, size: m.payload.length });
    });

    it('lists by id (time order) with limit and paging', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const m = sampleMessage();
        ids.push(m.id);
        await store.put(m);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const first = await store.list({ limit: 3 });
      expect(first.map((s) => s.id)).toEqual(ids.slice(0, 3));
      expect(first[0]!.size).toBe(300);
      const rest = await store.list({ after: first[2]!.id });
      expect(rest.map((s) => s.id)).toEqual(ids.slice(3));
    });
  });
}
