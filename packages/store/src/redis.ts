import { Redis, ReplyError } from 'ioredis';
import { SealpostError, type SigningAlgorithm } from '@sealpost/envelope';
import type { RowStore, StoredRow } from './rows.ts';
import { decodeCertificates, encodeCertificates, settleConflict, senderIdentity } from './stored-message.ts';
import type { ListOptions, MessageStore, PutResult, StoredMessageSummary } from './types.ts';
import { withBlobs, type BlobOptions } from './with-blobs.ts';

/** Options for {@link createRedisStore}; without `blobs`, every payload stays in its hash. */
export interface RedisStoreOptions extends BlobOptions {
  /** @defaultValue 'redis://127.0.0.1:6379' */
  readonly url?: string;
  /** Prefix of every key. @defaultValue 'sealpost:' */
  readonly prefix?: string;
  /**
   * Replicas (or AOF fsyncs with WAITAOF) a put waits for before it resolves; 0 trusts the
   * server's own persistence settings. @defaultValue 0
   */
  readonly waitReplicas?: number;
}

// Stores the message only if its id is new; otherwise returns the stored manifest for comparison.
const PUT_SCRIPT = `
local existing = redis.call('HGET', KEYS[1], 'manifest')
if existing then return existing end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return false
`;

const TRANSIENT_REPLY = /^(OOM|LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF|NOSCRIPT)\b/;

const SUMMARY_FIELDS = ['id', 'senderKeyId', 'senderAlgorithm', 'recipients', 'createdAt', 'receivedAt', 'payloadName', 'contentType', 'size', 'payloadSha256', 'metadata', 'senderSubject', 'senderCertificate', 'payloadRef'] as const;

/**
 * Redis store: one hash per message and a sorted set of ids (UUIDv7, so lexical order is time
 * order) for listing. The put is one Lua script, so concurrent puts of one id store it once.
 * Durability is Redis's: run it with `appendonly yes` (and `appendfsync always` for strict
 * durability) or set `waitReplicas`; a Redis without persistence loses acknowledged messages on restart.
 */
export function createRedisStore(options: RedisStoreOptions = {}): MessageStore {
  return withBlobs(redisRows(options), options);
}

function redisRows(options: RedisStoreOptions): RowStore {
  const prefix = options.prefix ?? 'sealpost:';
  // Commands fail fast while Redis is down (no offline queue), so the worker retries instead of hanging.
  const redis = new Redis(options.url ?? 'redis://127.0.0.1:6379', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  redis.on('error', () => undefined);
  const messageKey = (id: string) => `${prefix}message:${id}`;
  const indexKey = `${prefix}messages`;
  let closed = false;
  const fail = (error: unknown, what: string): never => {
    if (error instanceof SealpostError) throw error;
    // An error reply that is not about the server's state (memory, loading, failover) refuses the command itself.
    const refused = error instanceof ReplyError && !TRANSIENT_REPLY.test((error as Error).message);
    throw new SealpostError(refused ? 'STORE_REJECTED' : 'STORE_UNAVAILABLE', `Redis ${what}: ${(error as Error).message}`, { cause: error });
  };
  const summaryOf = (f: Record<string, Buffer | null>): StoredMessageSummary => ({
    id: f.id!.toString(),
    senderKeyId: f.senderKeyId!.toString(),
    senderAlgorithm: f.senderAlgorithm!.toString() as SigningAlgorithm,
    recipients: JSON.parse(f.recipients!.toString()) as string[],
    createdAt: new Date(Number(f.createdAt!.toString())),
    receivedAt: new Date(Number(f.receivedAt!.toString())),
    payloadName: f.payloadName!.toString(),
    contentType: f.contentType!.toString(),
    size: Number(f.size!.toString()),
    payloadSha256: f.payloadSha256!,
    metadata: JSON.parse(f.metadata!.toString()) as Record<string, string>,
    ...senderIdentity(f.senderSubject?.toString(), f.senderCertificate?.toString()),
    ...(f.payloadRef ? { payloadRef: f.payloadRef.toString() } : {}),
  });
  return {
    // Redis creates nothing at init: a read-only open (`create: false`) is the same connect and ping.
    async init() {
      if (redis.status === 'wait') await redis.connect().catch((error: unknown) => fail(error, 'connect'));
      await redis.ping().catch((error: unknown) => fail(error, 'ping'));
    },
    async insert(m: StoredRow): Promise<PutResult> {
      try {
        const fields: (string | Buffer)[] = [
          'id', m.id, 'senderKeyId', m.senderKeyId, 'senderAlgorithm', m.senderAlgorithm, 'recipients', JSON.stringify(m.recipients),
          'createdAt', String(m.createdAt.getTime()), 'receivedAt', String(m.receivedAt.getTime()), 'payloadName', m.payloadName,
          'contentType', m.contentType, 'size', String(m.size), 'payload', Buffer.from(m.payload), 'payloadSha256', Buffer.from(m.payloadSha256),
          'metadata', JSON.stringify(m.metadata), 'manifest', Buffer.from(m.manifest), 'signature', Buffer.from(m.signature),
          'certificates', encodeCertificates(m.certificates),
          ...(m.senderSubject && m.senderCertificate ? ['senderSubject', m.senderSubject, 'senderCertificate', m.senderCertificate] : []),
          ...(m.payloadRef ? ['payloadRef', m.payloadRef] : []),
        ];
        const existing = (await redis.callBuffer('EVAL', PUT_SCRIPT, 2, messageKey(m.id), indexKey, m.id, ...fields)) as Buffer | null;
        if (existing === null) {
          if (options.waitReplicas) await redis.wait(options.waitReplicas, 5000);
          return 'stored';
        }
        return settleConflict(existing, m);
      } catch (error) {
        return fail(error, 'put');
      }
    },
    async existing(id) {
      try {
        const [manifest, payloadRef] = await redis.hmgetBuffer(messageKey(id), 'manifest', 'payloadRef');
        return manifest ? { manifest, ...(payloadRef ? { payloadRef: payloadRef.toString() } : {}) } : undefined;
      } catch (error) {
        return fail(error, 'get');
      }
    },
    async read(id) {
      try {
        const f = await redis.hgetallBuffer(messageKey(id));
        if (!f.id) return undefined;
        return { ...summaryOf(f), payload: f.payload!, manifest: f.manifest!, signature: f.signature!, certificates: decodeCertificates(f.certificates?.toString()) };
      } catch (error) {
        return fail(error, 'get');
      }
    },
    async list(listOptions: ListOptions = {}) {
      try {
        const ids = await redis.zrangebylex(indexKey, listOptions.after ? `(${listOptions.after}` : '-', '+', 'LIMIT', 0, listOptions.limit ?? 100);
        const rows = await Promise.all(ids.map(async (id) => {
          const values = await redis.hmgetBuffer(messageKey(id), ...SUMMARY_FIELDS);
          return summaryOf(Object.fromEntries(SUMMARY_FIELDS.map((k, i) => [k, values[i] ?? null])));
        }));
        return rows;
      } catch (error) {
        return fail(error, 'list');
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      redis.disconnect();
    },
  };
}
