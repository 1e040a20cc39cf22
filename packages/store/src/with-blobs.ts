import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { SealpostError, openInputFile } from '@sealpost/envelope';
import { blobName, type BlobStore } from './blobs/blob-store.ts';
import { createS3BlobStore } from './blobs/s3.ts';
import { verifiedRead, verifyingStream } from './blobs/verify.ts';
import type { ReadRow, RowStore } from './rows.ts';
import { settleConflict } from './stored-message.ts';
import type { InitOptions, MessageStore, PutResult, StoredMessage, StoredMessageFields } from './types.ts';

/** Payloads up to this many bytes stay in their row by default. */
export const DEFAULT_INLINE_PAYLOAD_MAX = 256 * 1024;

/** Where a store keeps payloads too large for a row. */
export interface BlobOptions {
  /**
   * The blob location (see `openBlobStore`). Without one, every payload stays in its row (and a
   * DynamoDB store refuses payloads over its item limit).
   */
  readonly blobs?: BlobStore;
  /**
   * Payloads of more bytes than this go to the blob location; 0 sends every non-empty payload
   * there. Capped by what a row can hold (DynamoDB: 380 KiB). @defaultValue 256 KiB
   */
  readonly inlinePayloadMax?: number;
}

const EMPTY = new Uint8Array(0);

/**
 * A MessageStore from a backend's rows and an optional blob location: small payloads go into
 * the row, larger ones into a blob written (and fsynced or uploaded) before the row that names
 * it, under a name made of the message id and payload digest.
 *
 * Idempotency is the backend's: a put whose id is stored already is settled against the stored
 * manifest before any blob is written. Two puts of one message racing each other write the same
 * blob name with the same bytes (the write is atomic), and one row; a blob is removed again only
 * when a row for its id exists and names another blob (a replay), since with no row a concurrent
 * put of the same message may be about to name it. A crash between blob and row leaves the blob
 * unreferenced; the redelivery writes the same name again.
 */
export function withBlobs(rows: RowStore, options: BlobOptions = {}): MessageStore {
  const { blobs } = options;
  const requested = options.inlinePayloadMax ?? DEFAULT_INLINE_PAYLOAD_MAX;
  if (!Number.isSafeInteger(requested) || requested < 0) throw new SealpostError('CONFIG_INVALID', `inlinePayloadMax must be a non-negative integer, got ${String(requested)}`);
  const inlineMax = Math.min(requested, rows.maxRowPayloadBytes ?? Number.MAX_SAFE_INTEGER);
  // Rows may name S3 blobs of another location (the setting changed since): read those with the standard AWS configuration.
  const otherS3 = new Map<string, BlobStore>();

  const dropUnlessReferenced = async (blobs: BlobStore, id: string, ref: string) => {
    const row = await rows.existing(id).catch(() => undefined);
    if (row && row.payloadRef !== ref) await blobs.remove(ref).catch(() => undefined);
  };

  /** Streams `source` into a blob, checked against the digest on the way (the name is derived from it). */
  const streamInto = (blobs: BlobStore, m: StoredMessageFields, source: Readable) => async () => {
    const verifier = verifyingStream({ sha256: m.payloadSha256, code: 'PAYLOAD_MISMATCH', what: `the payload of message ${m.id}` });
    source.on('error', (error) => verifier.destroy(error));
    verifier.on('close', () => source.destroy());
    source.pipe(verifier);
    try {
      return { ref: await blobs.write(blobName(m.id, m.payloadSha256), verifier), size: verifier.bytes() };
    } finally {
      // Whether written or failed, the source is done with.
      verifier.destroy();
    }
  };

  /** Stores `m` with its payload in a blob that `write` writes, unless its id is stored already. */
  const toBlob = async (blobs: BlobStore, m: StoredMessageFields, write: () => Promise<{ ref: string; size: number }>): Promise<PutResult> => {
    const stored = await rows.existing(m.id);
    if (stored) return settleConflict(stored.manifest, m);
    const { ref, size } = await write();
    let result: PutResult;
    try {
      result = await rows.insert({ ...m, payload: EMPTY, size, payloadRef: ref });
    } catch (error) {
      await dropUnlessReferenced(blobs, m.id, ref);
      throw error;
    }
    if (result === 'duplicate') await dropUnlessReferenced(blobs, m.id, ref);
    return result;
  };

  const blobStoreFor = (row: ReadRow): BlobStore => {
    const ref = row.payloadRef!;
    if (blobs?.owns(ref)) return blobs;
    if (ref.startsWith('s3://')) {
      const bucket = ref.slice('s3://'.length).split('/')[0]!;
      let reader = otherS3.get(bucket);
      if (!reader) otherS3.set(bucket, (reader = createS3BlobStore({ bucket })));
      return reader;
    }
    throw new SealpostError('CONFIG_INVALID', `the payload of message ${row.id} is kept in ${ref}, and this store has no blob location for it (set the blob location, e.g. SEALPOST_BLOB_STORE=dir:PATH)`);
  };

  const readBlob = async (row: ReadRow): Promise<Readable> =>
    verifiedRead(await blobStoreFor(row).read(row.payloadRef!), { sha256: row.payloadSha256, size: row.size, code: 'STORE_CORRUPT', what: `the payload blob ${row.payloadRef} of message ${row.id}` });

  return {
    async init(initOptions: InitOptions = {}) {
      await rows.init(initOptions);
      await blobs?.init(initOptions.create ?? true);
    },
    async put(m: StoredMessage) {
      if (!blobs || m.payload.length <= inlineMax) return rows.insert({ ...m, size: m.payload.length });
      const { payload, ...fields } = m;
      return toBlob(blobs, fields, streamInto(blobs, fields, Readable.from([Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)])));
    },
    async putFile(m: StoredMessageFields, payloadPath: string) {
      const input = await openInputFile(payloadPath);
      if (blobs && input.size > inlineMax) {
        // A blob location that copies files itself (a directory) gets the path; others the stream, opened only when needed.
        input.stream.destroy();
        const { writeFile } = blobs;
        if (writeFile) return toBlob(blobs, m, () => writeFile.call(blobs, blobName(m.id, m.payloadSha256), payloadPath, m.payloadSha256));
        return toBlob(blobs, m, async () => streamInto(blobs, m, (await openInputFile(payloadPath)).stream)());
      }
      if (rows.maxRowPayloadBytes !== undefined && input.size > rows.maxRowPayloadBytes) {
        input.stream.destroy();
        throw new SealpostError('LIMIT_EXCEEDED', `message ${m.id} has a ${input.size}-byte payload; a row of this store holds at most ${rows.maxRowPayloadBytes} bytes and no blob location is configured`);
      }
      const payload = await buffer(verifiedRead(input.stream, { sha256: m.payloadSha256, code: 'PAYLOAD_MISMATCH', what: `the payload file of message ${m.id}` }));
      return rows.insert({ ...m, payload, size: payload.length });
    },
    async get(id) {
      const row = await rows.read(id);
      if (!row?.payloadRef) return row;
      return { ...row, payload: await buffer(await readBlob(row)) };
    },
    async head(id) {
      const row = await rows.read(id);
      if (!row) return undefined;
      const { payload: _payload, ...head } = row;
      return head;
    },
    async openPayload(id) {
      const row = await rows.read(id);
      if (!row) return undefined;
      if (row.payloadRef) return readBlob(row);
      return Readable.from([Buffer.from(row.payload.buffer, row.payload.byteOffset, row.payload.byteLength)]);
    },
    list: (listOptions) => rows.list(listOptions),
    async close() {
      const results = await Promise.allSettled([rows.close(), blobs?.close(), ...[...otherS3.values()].map((s) => s.close())]);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
