import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { SealpostError, makeDirectory, type SigningAlgorithm } from '@sealpost/envelope';
import type { BlobStore } from './blobs/blob-store.ts';
import { createDirectoryBlobStore } from './blobs/directory.ts';
import { loadNodeSqlite } from './node-sqlite.ts';
import type { RowStore, StoredRow } from './rows.ts';
import { decodeCertificates, encodeCertificates, settleConflict, senderIdentity } from './stored-message.ts';
import type { InitOptions, ListOptions, MessageStore, PutResult, StoredMessageSummary } from './types.ts';
import { withBlobs } from './with-blobs.ts';

/** Options for {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Where payloads over `inlinePayloadMax` go: by default the directory `blobs` beside the
   * database file (none for `:memory:`); `null` keeps every payload in its row.
   */
  readonly blobs?: BlobStore | null;
  /** Payloads of more bytes than this go to the blob location. @defaultValue 256 KiB */
  readonly inlinePayloadMax?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY,
  sender_key_id TEXT NOT NULL,
  sender_algorithm TEXT NOT NULL,
  recipients TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  payload_name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  payload BLOB NOT NULL,
  payload_sha256 BLOB NOT NULL,
  metadata TEXT NOT NULL,
  manifest BLOB NOT NULL,
  signature BLOB NOT NULL
) STRICT;
`;

/** SQLite primary result codes that refuse the input itself: TOOBIG, CONSTRAINT, MISMATCH, RANGE. */
const REFUSED_RESULT_CODES = new Set([18, 19, 20, 25]);

/** Columns added after the first schema, each with the ALTER that adds it to an older table. */
const ADDED_COLUMNS: readonly [string, string][] = [
  ['sender_subject', 'ALTER TABLE messages ADD COLUMN sender_subject TEXT'],
  ['sender_certificate', 'ALTER TABLE messages ADD COLUMN sender_certificate TEXT'],
  ['certificates', "ALTER TABLE messages ADD COLUMN certificates TEXT NOT NULL DEFAULT '[]'"],
  // Set when the payload is kept in a blob beside the store; the payload column is then empty.
  ['payload_ref', 'ALTER TABLE messages ADD COLUMN payload_ref TEXT'],
];

type Row = Record<string, string | number | Uint8Array | null>;

function summaryOf(row: Row): StoredMessageSummary {
  return {
    id: row.id as string,
    senderKeyId: row.sender_key_id as string,
    senderAlgorithm: row.sender_algorithm as SigningAlgorithm,
    recipients: JSON.parse(row.recipients as string) as string[],
    createdAt: new Date(row.created_at as number),
    receivedAt: new Date(row.received_at as number),
    payloadName: row.payload_name as string,
    contentType: row.content_type as string,
    payloadSha256: row.payload_sha256 as Uint8Array,
    metadata: JSON.parse(row.metadata as string) as Record<string, string>,
    size: row.size as number,
    ...senderIdentity(row.sender_subject, row.sender_certificate),
    ...(typeof row.payload_ref === 'string' ? { payloadRef: row.payload_ref } : {}),
  };
}

/**
 * The embedded default store: one SQLite file through node:sqlite (no native build), WAL mode
 * with `synchronous = FULL`, so a resolved `put` has reached the disk before the transport
 * acknowledges the message. Payloads over 256 KiB go to files in `blobs/` beside the database
 * (see {@link SqliteStoreOptions}).
 *
 * @example
 * ```ts
 * const store = createSqliteStore('.sealpost/messages.db')
 * await store.init()
 * ```
 */
export function createSqliteStore(path: string, options: SqliteStoreOptions = {}): MessageStore {
  const blobs = options.blobs === undefined ? (path === ':memory:' ? undefined : createDirectoryBlobStore(join(dirname(path), 'blobs'))) : (options.blobs ?? undefined);
  return withBlobs(sqliteRows(path), { ...(blobs ? { blobs } : {}), ...(options.inlinePayloadMax !== undefined ? { inlinePayloadMax: options.inlinePayloadMax } : {}) });
}

function sqliteRows(path: string): RowStore {
  let db: DatabaseSync | undefined;
  let statements: { insert: StatementSync; existing: StatementSync; get: StatementSync; list: StatementSync; listAfter: StatementSync } | undefined;
  const ready = () => {
    if (!db || !statements) throw new SealpostError('CONFIG_INVALID', 'the SQLite store is not initialised (call init) or is closed');
    return statements;
  };
  const unavailable = (error: unknown): never => {
    // A constraint, size or type refusal is about this row and will not change on retry.
    const refused = REFUSED_RESULT_CODES.has(Number((error as { errcode?: number }).errcode) & 0xff);
    throw new SealpostError(refused ? 'STORE_REJECTED' : 'STORE_UNAVAILABLE', `SQLite store ${path}: ${(error as Error).message}`, { cause: error });
  };
  return {
    async init(options: InitOptions = {}) {
      if (db) return;
      const create = options.create ?? true;
      // Opening a missing file would create it: an existing store is checked for first.
      if (!create && (path === ':memory:' || !existsSync(path))) throw new SealpostError('STORE_NOT_FOUND', `SQLite store ${path} does not exist`);
      try {
        if (create && path !== ':memory:') await makeDirectory(dirname(path));
        db = new (loadNodeSqlite().DatabaseSync)(path);
        // busy_timeout first: switching to WAL needs a lock another process may hold for a moment.
        db.exec('PRAGMA busy_timeout = 5000;');
        // Read-only: a file that is not a store is refused; a store is brought up to date below.
        if (!create && !db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages'").get()) {
          throw new SealpostError('STORE_NOT_FOUND', `${path} is not a Sealpost store (it has no messages table)`);
        }
        db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
        db.exec(SCHEMA);
        const present = new Set((db.prepare('PRAGMA table_info(messages)').all() as { name: string }[]).map((c) => c.name));
        for (const [column, alter] of ADDED_COLUMNS) if (!present.has(column)) db.exec(alter);
        statements = {
          insert: db.prepare(`INSERT INTO messages (id, sender_key_id, sender_algorithm, recipients, created_at, received_at, payload_name, content_type, size, payload, payload_sha256, metadata, manifest, signature, sender_subject, sender_certificate, certificates, payload_ref)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
          existing: db.prepare('SELECT manifest, payload_ref FROM messages WHERE id = ?'),
          get: db.prepare('SELECT * FROM messages WHERE id = ?'),
          list: db.prepare('SELECT id, sender_key_id, sender_algorithm, recipients, created_at, received_at, payload_name, content_type, size, payload_sha256, metadata, sender_subject, sender_certificate, payload_ref FROM messages ORDER BY id LIMIT ?'),
          listAfter: db.prepare('SELECT id, sender_key_id, sender_algorithm, recipients, created_at, received_at, payload_name, content_type, size, payload_sha256, metadata, sender_subject, sender_certificate, payload_ref FROM messages WHERE id > ? ORDER BY id LIMIT ?'),
        };
      } catch (error) {
        db?.close();
        db = undefined;
        if (error instanceof SealpostError) throw error;
        unavailable(error);
      }
    },
    async insert(m: StoredRow): Promise<PutResult> {
      const s = ready();
      try {
        const { changes } = s.insert.run(m.id, m.senderKeyId, m.senderAlgorithm, JSON.stringify(m.recipients), m.createdAt.getTime(), m.receivedAt.getTime(), m.payloadName, m.contentType, m.size, m.payload, m.payloadSha256, JSON.stringify(m.metadata), m.manifest, m.signature, m.senderSubject ?? null, m.senderCertificate ?? null, encodeCertificates(m.certificates), m.payloadRef ?? null);
        if (Number(changes) === 1) return 'stored';
        const existing = s.existing.get(m.id) as { manifest: Uint8Array } | undefined;
        return settleConflict(existing?.manifest, m);
      } catch (error) {
        if (error instanceof SealpostError) throw error;
        return unavailable(error);
      }
    },
    async existing(id) {
      const row = ready().existing.get(id) as { manifest: Uint8Array; payload_ref: string | null } | undefined;
      return row ? { manifest: row.manifest, ...(row.payload_ref !== null ? { payloadRef: row.payload_ref } : {}) } : undefined;
    },
    async read(id) {
      const row = ready().get.get(id) as Row | undefined;
      if (!row) return undefined;
      return { ...summaryOf(row), payload: row.payload as Uint8Array, manifest: row.manifest as Uint8Array, signature: row.signature as Uint8Array, certificates: decodeCertificates(row.certificates as string) };
    },
    async list(options: ListOptions = {}) {
      const limit = options.limit ?? 100;
      const s = ready();
      const rows = (options.after ? s.listAfter.all(options.after, limit) : s.list.all(limit)) as Row[];
      return rows.map(summaryOf);
    },
    async close() {
      db?.close();
      db = undefined;
      statements = undefined;
    },
  };
}
