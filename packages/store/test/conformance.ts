import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSealpostError, uuidv7 } from '@sealpost/envelope';
import type { MessageStore, StoredMessage } from '../src/index.ts';

/** A look into a store's blob location, for the blob cases of the conformance suite. */
export interface BlobProbe {
  /** Every file or object in the location, temporary ones included. */
  files(): Promise<string[]>;
  /** Replaces the bytes of the blob `ref` names, or removes it (`undefined`). */
  tamper(ref: string, bytes: Uint8Array | undefined): Promise<void>;
}

/** What a conformance factory gives: a store, its cleanup, and for a store with a blob location, a probe into it. */
export interface StoreUnderTest {
  readonly store: MessageStore;
  readonly cleanup: () => Promise<void>;
  readonly blobs?: BlobProbe;
}

/** A probe into a directory blob location. */
export function directoryProbe(root: string): BlobProbe {
  return {
    async files() {
      const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
    },
    async tamper(ref, bytes) {
      const path = join(root, ref.slice('dir:'.length));
      if (bytes) await writeFile(path, bytes);
      else await rm(path);
    },
  };
}

/** Bytes just over the default inline limit (256 KiB), so they go to a blob when there is a blob location. */
const LARGE = 256 * 1024 + 1;

/** A stored message with fresh ids and bytes. */
export function sampleMessage(overrides: Partial<StoredMessage> = {}): StoredMessage {
  const payload = overrides.payload ?? randomBytes(300);
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
    payloadSha256: createHash('sha256').update(payload).digest(),
    metadata: { tenant: 'acme' },
    manifest: randomBytes(200),
    signature: randomBytes(71),
    certificates: [],
    ...overrides,
  };
}

/** The behaviour every MessageStore must show, run against a real backend. */
export function describeMessageStoreConformance(name: string, makeStore: () => Promise<StoreUnderTest>, limits: { maxPayloadBytes?: number; blobs?: boolean } = {}) {
  describe(`${name}: MessageStore conformance`, () => {
    let store: MessageStore;
    let cleanup: () => Promise<void>;
    let probe: BlobProbe | undefined;
    let files: string;
    beforeEach(async () => {
      ({ store, cleanup, blobs: probe } = await makeStore());
      expect(Boolean(probe)).toBe(Boolean(limits.blobs));
      await store.init();
      await store.init();
      files = await mkdtemp(join(tmpdir(), 'sealpost-payloads-'));
    });
    afterEach(async () => {
      await store.close();
      await store.close();
      await cleanup();
      await rm(files, { recursive: true, force: true });
    });
    const payloadFile = async (bytes: Uint8Array) => {
      const path = join(files, `${uuidv7()}.bin`);
      await writeFile(path, bytes);
      return path;
    };
    const fieldsOf = (m: StoredMessage) => {
      const { payload: _payload, ...fields } = m;
      return fields;
    };
    const read = async (stream: Readable | undefined) => buffer(stream!);

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

    it('putFile stores small and large payloads from files; head, get, list and openPayload give them back', async () => {
      const small = sampleMessage({ payload: randomBytes(1000) });
      const large = sampleMessage({ payload: randomBytes(Math.min(limits.maxPayloadBytes ?? Infinity, 3 * 1024 * 1024 + 7)) });
      expect(await store.putFile(fieldsOf(small), await payloadFile(small.payload))).toBe('stored');
      expect(await store.putFile(fieldsOf(large), await payloadFile(large.payload))).toBe('stored');
      for (const m of [small, large]) {
        const head = (await store.head(m.id))!;
        expect(head).toMatchObject({ id: m.id, size: m.payload.length, payloadName: m.payloadName, metadata: m.metadata });
        expect('payload' in head).toBe(false);
        expect(Buffer.from(head.manifest).equals(Buffer.from(m.manifest))).toBe(true);
        const inBlob = Boolean(limits.blobs) && m.payload.length > LARGE - 1;
        expect(head.payloadRef !== undefined).toBe(inBlob);
        expect((await read(await store.openPayload(m.id))).equals(m.payload)).toBe(true);
        expect(Buffer.from((await store.get(m.id))!.payload).equals(m.payload)).toBe(true);
      }
      const listed = new Map((await store.list()).map((s) => [s.id, s]));
      expect(listed.get(large.id)).toMatchObject({ size: large.payload.length });
      expect(listed.get(large.id)!.payloadRef !== undefined).toBe(Boolean(limits.blobs) && large.payload.length >= LARGE);
      expect(listed.get(small.id)!.payloadRef).toBeUndefined();
      expect(await store.openPayload(uuidv7())).toBeUndefined();
      expect(await store.head(uuidv7())).toBeUndefined();
    });

    it('putFile refuses a file that does not match the payload digest (PAYLOAD_MISMATCH, permanent) and stores nothing', async () => {
      for (const size of [100, limits.maxPayloadBytes !== undefined && !limits.blobs ? 100 : LARGE + 5]) {
        const m = sampleMessage({ payload: randomBytes(size) });
        const other = Buffer.from(m.payload);
        other[other.length - 1]! ^= 1;
        await expect(store.putFile(fieldsOf(m), await payloadFile(other))).rejects.toMatchObject({ code: 'PAYLOAD_MISMATCH', transient: false });
        expect(await store.head(m.id)).toBeUndefined();
      }
      if (probe) expect(await probe.files()).toEqual([]);
      await expect(store.putFile(fieldsOf(sampleMessage()), join(files, 'missing.bin'))).rejects.toMatchObject({ code: 'IO_ERROR' });
    });

    it('putFile keeps the idempotency rules: a duplicate writes no second copy, a replay is refused and changes nothing', async () => {
      const size = limits.blobs ? LARGE + 100 : 2000;
      const m = sampleMessage({ payload: randomBytes(size) });
      const path = await payloadFile(m.payload);
      expect(await store.putFile(fieldsOf(m), path)).toBe('stored');
      const blobsAfterFirst = (await probe?.files()) ?? [];
      expect(blobsAfterFirst).toHaveLength(probe ? 1 : 0);
      expect(await store.putFile({ ...fieldsOf(m), receivedAt: new Date() }, path)).toBe('duplicate');
      expect(await store.put(m)).toBe('duplicate');
      const evil = randomBytes(size);
      const replay = { ...fieldsOf(m), manifest: randomBytes(200), payloadSha256: createHash('sha256').update(evil).digest() };
      await expect(store.putFile(replay, await payloadFile(evil))).rejects.toMatchObject({ code: 'REPLAY_DETECTED', transient: false });
      await expect(store.put({ ...replay, payload: evil })).rejects.toMatchObject({ code: 'REPLAY_DETECTED', transient: false });
      expect((await probe?.files()) ?? []).toEqual(blobsAfterFirst);
      expect((await read(await store.openPayload(m.id))).equals(m.payload)).toBe(true);
      expect((await store.list()).length).toBe(1);
    });

    it('stores once under concurrent putFiles of one message, and one of two racing versions of an id: one copy, no stray blob', async () => {
      const size = limits.blobs ? LARGE + 200 : 3000;
      const m = sampleMessage({ payload: randomBytes(size) });
      const path = await payloadFile(m.payload);
      const results = await Promise.all(Array.from({ length: 12 }, () => store.putFile(fieldsOf(m), path)));
      expect(results.filter((r) => r === 'stored')).toHaveLength(1);
      expect(results.filter((r) => r === 'duplicate')).toHaveLength(11);
      if (probe) expect(await probe.files()).toHaveLength(1);

      const a = sampleMessage({ payload: randomBytes(size) });
      const bPayload = randomBytes(size);
      const b = { ...a, manifest: randomBytes(200), payload: bPayload, payloadSha256: createHash('sha256').update(bPayload).digest() };
      const [pathA, pathB] = [await payloadFile(a.payload), await payloadFile(b.payload)];
      const raced = await Promise.allSettled([store.putFile(fieldsOf(a), pathA), store.putFile(fieldsOf(b), pathB), store.putFile(fieldsOf(a), pathA), store.putFile(fieldsOf(b), pathB)]);
      const fulfilled = raced.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<string>).value);
      // Whichever manifest is stored first wins: its twin is a duplicate, both of the other are replays.
      expect(fulfilled.filter((r) => r === 'stored')).toHaveLength(1);
      expect(fulfilled.filter((r) => r === 'duplicate')).toHaveLength(1);
      const rejected = raced.filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(2);
      for (const r of rejected) expect(isSealpostError((r as PromiseRejectedResult).reason, 'REPLAY_DETECTED')).toBe(true);
      const winner = Buffer.from((await store.get(a.id))!.manifest).equals(Buffer.from(a.manifest)) ? a : b;
      expect((await read(await store.openPayload(a.id))).equals(winner.payload)).toBe(true);
      if (probe) expect(await probe.files()).toHaveLength(2);
    });

    if (limits.blobs) {
      it('keeps payloads over the inline limit out of the row: put from memory too, and an empty payload stays inline', async () => {
        const m = sampleMessage({ payload: randomBytes(LARGE) });
        const edge = sampleMessage({ payload: randomBytes(LARGE - 1) });
        const empty = sampleMessage({ payload: new Uint8Array(0) });
        for (const x of [m, edge, empty]) expect(await store.put(x)).toBe('stored');
        expect((await store.head(m.id))!.payloadRef).toMatch(/^(dir:|s3:\/\/)/);
        expect((await store.head(edge.id))!.payloadRef).toBeUndefined();
        expect((await store.head(empty.id))!.payloadRef).toBeUndefined();
        expect(Buffer.from((await store.get(m.id))!.payload).equals(m.payload)).toBe(true);
        expect((await read(await store.openPayload(empty.id))).length).toBe(0);
        expect(await probe!.files()).toHaveLength(1);
      });

      it('a blob that differs from its recorded size or digest fails the read with STORE_CORRUPT; a missing one too', async () => {
        const m = sampleMessage({ payload: randomBytes(LARGE + 1000) });
        expect(await store.put(m)).toBe('stored');
        const ref = (await store.head(m.id))!.payloadRef!;
        const flipped = Buffer.from(m.payload);
        flipped[1000]! ^= 0x80;
        for (const bytes of [flipped, m.payload.subarray(0, LARGE), Buffer.concat([m.payload, Buffer.from('x')])]) {
          await probe!.tamper(ref, bytes);
          await expect(read(await store.openPayload(m.id))).rejects.toMatchObject({ code: 'STORE_CORRUPT', transient: false });
          await expect(store.get(m.id)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
        }
        await probe!.tamper(ref, undefined);
        await expect(store.openPayload(m.id)).rejects.toMatchObject({ code: 'STORE_CORRUPT', transient: false });
        // The row is intact: a redelivery is still a duplicate, and head still describes the message.
        expect(await store.put(m)).toBe('duplicate');
        expect(await store.head(m.id)).toMatchObject({ size: m.payload.length, payloadRef: ref });
      });
    }
  });
}
