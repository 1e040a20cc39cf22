import pg from 'pg';
import { SealpostError, type SigningAlgorithm } from '@sealpost/envelope';
import { groupCommit, type Settled } from './group-commit.ts';
import type { RowStore, StoredRow } from './rows.ts';
import { settleConflict, senderIdentity } from './stored-message.ts';
import type { InitOptions, ListOptions, MessageStore, PutResult, StoredMessageSummary } from './types.ts';
import { withBlobs, type BlobOptions } from './with-blobs.ts';

/** Options for {@link createPostgresStore}; without `blobs`, every payload stays in its row. */
export interface PostgresStoreOptions extends BlobOptions {
  /** A postgres:// connection string. */
  readonly connectionString: string;
  /** Schema holding the tables (created if missing). @defaultValue 'public' */
  readonly schema?: string;
  /** Most pooled connections. @defaultValue 10 */
  readonly maxConnections?: number;
  /**
   * Most messages written by one INSERT when puts arrive together (group commit); a put that
   * finds the store idle is written at once, alone. @defaultValue 64
   */
  readonly maxBatch?: number;
  /** Shown in pg_stat_activity, to tell Sealpost's connections apart. @defaultValue 'sealpost' */
  readonly applicationName?: string;
}

/** Migrations, in order; the version table records which ran. Append, never edit. */
const MIGRATIONS = [
  `CREATE TABLE IF NOT EXISTS messages (
    id uuid PRIMARY KEY,
    sender_key_id text NOT NULL,
    sender_algorithm text NOT NULL,
    recipients text[] NOT NULL,
    created_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    payload_name text NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL,
    payload bytea NOT NULL,
    payload_sha256 bytea NOT NULL,
    metadata jsonb NOT NULL,
    manifest bytea NOT NULL,
    signature bytea NOT NULL
  )`,
  // text[] and jsonb cannot hold U+0000, which a signed manifest may carry in metadata and
  // recipient ids; json keeps the JSON text as written (U+0000 escaped), so every message fits.
  `ALTER TABLE messages ALTER COLUMN metadata TYPE json USING metadata::json,
    ALTER COLUMN recipients TYPE json USING to_json(recipients)`,
  `ALTER TABLE messages ADD COLUMN IF NOT EXISTS sender_subject text,
    ADD COLUMN IF NOT EXISTS sender_certificate text,
    ADD COLUMN IF NOT EXISTS certificates bytea[] NOT NULL DEFAULT '{}'`,
  // Set when the payload is kept in a blob beside the store; the payload column is then empty.
  `ALTER TABLE messages ADD COLUMN IF NOT EXISTS payload_ref text`,
];

// Connection failures, server shutdown, and "cannot connect now": the store is down, not the message bad.
const TRANSIENT_SQLSTATE = /^(08|57P0|53)/;

function isTransient(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    (typeof e.code === 'string' && (TRANSIENT_SQLSTATE.test(e.code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(e.code))) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message ?? '')
  );
}

function asStoreError(error: unknown, what: string): SealpostError {
  if (error instanceof SealpostError) return error;
  const message = `PostgreSQL ${what}: ${(error as Error)?.message ?? String(error)}`;
  // Anything but an outage is the database refusing this input for good: retrying cannot help.
  return isTransient(error) ? new SealpostError('STORE_UNAVAILABLE', message, { cause: error }) : new SealpostError('STORE_REJECTED', message, { cause: error });
}

const COLUMNS = 'id, sender_key_id, sender_algorithm, recipients, created_at, received_at, payload_name, content_type, size, payload_sha256, metadata, sender_subject, sender_certificate, payload_ref';

function summaryOf(row: Record<string, unknown>): StoredMessageSummary {
  return {
    id: row.id as string,
    senderKeyId: row.sender_key_id as string,
    senderAlgorithm: row.sender_algorithm as SigningAlgorithm,
    recipients: row.recipients as string[],
    createdAt: row.created_at as Date,
    receivedAt: row.received_at as Date,
    payloadName: row.payload_name as string,
    contentType: row.content_type as string,
    payloadSha256: row.payload_sha256 as Buffer,
    metadata: row.metadata as Record<string, string>,
    size: Number(row.size),
    ...senderIdentity(row.sender_subject, row.sender_certificate),
    ...(typeof row.payload_ref === 'string' ? { payloadRef: row.payload_ref } : {}),
  };
}

/**
 * PostgreSQL store: a `messages` table keyed by message id, created by a versioned migration on
 * `init`. Outages surface as STORE_UNAVAILABLE (transient); the pool reconnects by itself.
 */
export function createPostgresStore(options: PostgresStoreOptions): MessageStore {
  return withBlobs(postgresRows(options), options);
}

function postgresRows(options: PostgresStoreOptions): RowStore {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new SealpostError('CONFIG_INVALID', `schema must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10, connectionTimeoutMillis: 5000, application_name: options.applicationName ?? 'sealpost' });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const maxBatch = options.maxBatch ?? 64;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 1000) throw new SealpostError('CONFIG_INVALID', `maxBatch must be an integer from 1 to 1000, got ${String(maxBatch)}`);
  const table = `"${schema}".messages`;
  let closing: Promise<void> | undefined;
  const fail = (error: unknown, what: string): never => {
    throw asStoreError(error, what);
  };
  const COLUMN_COUNT = 18;
  const rowOf = (m: StoredRow) => [
    m.id, m.senderKeyId, m.senderAlgorithm, JSON.stringify(m.recipients), m.createdAt, m.receivedAt, m.payloadName, m.contentType, m.size,
    Buffer.from(m.payload), Buffer.from(m.payloadSha256), JSON.stringify(m.metadata), Buffer.from(m.manifest), Buffer.from(m.signature),
    m.senderSubject ?? null, m.senderCertificate ?? null, m.certificates.map((der) => Buffer.from(der)), m.payloadRef ?? null,
  ];
  const insertSql = (rows: number) => {
    const tuples = Array.from({ length: rows }, (_, r) => `(${Array.from({ length: COLUMN_COUNT }, (_, c) => `$${r * COLUMN_COUNT + c + 1}`).join(', ')})`);
    return `INSERT INTO ${table} (id, sender_key_id, sender_algorithm, recipients, created_at, received_at, payload_name, content_type, size, payload, payload_sha256, metadata, manifest, signature, sender_subject, sender_certificate, certificates, payload_ref)
      VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING RETURNING id`;
  };

  // One multi-row INSERT, one commit: every row in it is durable when it returns. An id that
  // was not inserted (already stored, or twice in this batch) is a duplicate when its stored
  // manifest is byte-identical, and a replay otherwise.
  const writeBatch = async (messages: readonly StoredRow[]): Promise<Settled<PutResult>[]> => {
    const { rows: inserted } = await pool.query<{ id: string }>({ name: `sealpost-insert-${messages.length}`, text: insertSql(messages.length), values: messages.flatMap(rowOf) });
    // Each inserted id goes to the first message that carries it.
    const unclaimed = new Set(inserted.map((r) => r.id));
    const isNew = messages.map((m) => unclaimed.delete(m.id));
    const conflicts = messages.filter((_, i) => !isNew[i]).map((m) => m.id);
    const stored = new Map<string, Buffer>();
    if (conflicts.length > 0) {
      const { rows } = await pool.query<{ id: string; manifest: Buffer }>(`SELECT id, manifest FROM ${table} WHERE id = ANY($1::uuid[])`, [conflicts]);
      for (const row of rows) stored.set(row.id, row.manifest);
    }
    return messages.map((m, i): Settled<PutResult> => {
      if (isNew[i]) return { ok: true, value: 'stored' };
      try {
        return { ok: true, value: settleConflict(stored.get(m.id), m) };
      } catch (error) {
        return { ok: false, error: error as SealpostError };
      }
    });
  };
  const putGrouped = groupCommit<StoredRow, PutResult>(
    async (messages) => {
      try {
        return await writeBatch(messages);
      } catch (error) {
        // A row the database refuses must not fail the good rows beside it: retry them one by one.
        if (messages.length > 1 && !isTransient(error)) return Promise.all(messages.map((m) => writeBatch([m]).then((r) => r[0]!, (e: unknown) => ({ ok: false as const, error: asStoreError(e, 'put') }))));
        throw asStoreError(error, 'put');
      }
    },
    (m) => m.payload.length + m.manifest.length,
    { maxBatch, maxBatchBytes: 4 * 1024 * 1024, maxInFlight: 2 },
  );

  return {
    async init(options: InitOptions = {}) {
      const client = await pool.connect().catch((error: unknown) => fail(error, 'connect'));
      try {
        if (options.create === false) {
          // Read-only: a store that is not there is refused; one that is there is brought up to date below.
          const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [`"${schema}".messages`]);
          if (!rows[0]?.found) throw new SealpostError('STORE_NOT_FOUND', `PostgreSQL schema "${schema}" has no Sealpost messages table`);
        }
        // One migrator at a time, even with several workers starting together. Taken before the
        // schema is created: concurrent CREATE ... IF NOT EXISTS of one name can fail on a unique index.
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [`sealpost:${schema}`]);
        try {
          await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
          await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".sealpost_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
          const { rows } = await client.query<{ version: number }>(`SELECT version FROM "${schema}".sealpost_migrations`);
          const done = new Set(rows.map((r) => r.version));
          for (const [index, sql] of MIGRATIONS.entries()) {
            if (done.has(index + 1)) continue;
            await client.query('BEGIN');
            await client.query(`SET LOCAL search_path TO "${schema}"`);
            await client.query(sql);
            await client.query(`INSERT INTO "${schema}".sealpost_migrations (version) VALUES ($1)`, [index + 1]);
            await client.query('COMMIT');
          }
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`sealpost:${schema}`]);
        }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        fail(error, 'migration');
      } finally {
        client.release();
      }
    },
    insert: putGrouped,
    async existing(id) {
      try {
        const { rows } = await pool.query<{ manifest: Buffer; payload_ref: string | null }>(`SELECT manifest, payload_ref FROM ${table} WHERE id = $1`, [id]);
        const row = rows[0];
        return row ? { manifest: row.manifest, ...(row.payload_ref !== null ? { payloadRef: row.payload_ref } : {}) } : undefined;
      } catch (error) {
        return fail(error, 'get');
      }
    },
    async read(id) {
      try {
        const { rows } = await pool.query(`SELECT ${COLUMNS}, payload, manifest, signature, certificates FROM ${table} WHERE id = $1`, [id]);
        const row = rows[0] as Record<string, unknown> | undefined;
        return row ? { ...summaryOf(row), payload: row.payload as Buffer, manifest: row.manifest as Buffer, signature: row.signature as Buffer, certificates: row.certificates as Buffer[] } : undefined;
      } catch (error) {
        return fail(error, 'get');
      }
    },
    async list(options: ListOptions = {}) {
      try {
        const { rows } = options.after
          ? await pool.query(`SELECT ${COLUMNS} FROM ${table} WHERE id > $1 ORDER BY id LIMIT $2`, [options.after, options.limit ?? 100])
          : await pool.query(`SELECT ${COLUMNS} FROM ${table} ORDER BY id LIMIT $1`, [options.limit ?? 100]);
        return rows.map(summaryOf);
      } catch (error) {
        return fail(error, 'list');
      }
    },
    close() {
      closing ??= pool.end();
      return closing;
    },
  };
}
