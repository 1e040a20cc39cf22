import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { SealpostError, isSealpostError } from '@sealpost/envelope';
import { decodeBase64Envelope } from './base64-envelope.ts';
import { isPointerJobData, parsePointerJobData, pointerJobData } from './offload/pointer.ts';
import type { TransportEvents } from './events.ts';
import type { Delivery, MessageHandler, TransportConsumer, TransportSender } from './types.ts';

/** Options for {@link createBullmqTransport}. */
export interface BullmqOptions {
  /** Redis URL. @defaultValue 'redis://127.0.0.1:6379' */
  readonly redisUrl?: string;
  /** Queue name. */
  readonly queue: string;
  /** Dead-letter queue name. @defaultValue `${queue}-dead` */
  readonly deadLetterQueue?: string;
  /** BullMQ key prefix. @defaultValue 'bull' */
  readonly prefix?: string;
  /** Jobs processed at once (1-256). @defaultValue 8 */
  readonly concurrency?: number;
  /** Attempts for transient failures before a job is dead-lettered as exhausted. @defaultValue 100 */
  readonly attempts?: number;
  /** First retry delay, doubling per attempt, in ms. @defaultValue 500 */
  readonly retryDelayMs?: number;
  /** Longest retry delay, in ms. @defaultValue 60000 */
  readonly maxRetryDelayMs?: number;
  /** Lock on a job in progress, renewed while it runs, in ms. @defaultValue 30000 */
  readonly lockDurationMs?: number;
  /** How often stalled jobs (a crashed worker's) are looked for, in ms. @defaultValue 30000 */
  readonly stalledIntervalMs?: number;
  /**
   * Largest envelope accepted by `send`, and by the consumer: a job whose data is longer is
   * dead-lettered (MESSAGE_TOO_LARGE) before it is decoded. @defaultValue 16 MiB
   */
  readonly maxEnvelopeBytes?: number;
  /** How long connecting to Redis may take before `send` or `start` fails with TRANSPORT_UNAVAILABLE. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  /** How long one `send`/`sendBatch` may take before it fails with TRANSPORT_UNAVAILABLE. @defaultValue 30000 */
  readonly sendTimeoutMs?: number;
  readonly events?: TransportEvents;
}

interface JobData {
  /** The envelope, base64: BullMQ job data is JSON. */
  readonly envelope: string;
}
// An offloaded envelope's job carries a pointer instead (PointerJobData, offload/pointer.ts).

/** What a dead-lettered job's data is replaced with, so the dead-letter queue holds the only copy. */
interface DeadLetteredData {
  readonly deadLettered: { readonly queue: string; readonly jobId: string; readonly code: string };
}

const isDeadLettered = (data: unknown): data is DeadLetteredData => typeof data === 'object' && data !== null && 'deadLettered' in data;

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new SealpostError('CONFIG_INVALID', `${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Reconnect delays after an outage: doubling from 500 ms, capped at 30 s. */
const reconnectDelay = (times: number) => Math.min(30_000, 500 * 2 ** Math.min(times - 1, 6));

/** Rejects with TRANSPORT_UNAVAILABLE when `work` has not settled within `ms`. */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SealpostError('TRANSPORT_UNAVAILABLE', `${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * BullMQ on Redis.
 *
 * - Jobs carry the envelope (base64) with the message id as job id, so a resend of a waiting
 *   message is not queued twice.
 * - A job completes (and is removed) only when the handler resolves.
 * - Job data that is not `{ envelope: <base64 string> }`, or longer than `maxEnvelopeBytes`
 *   allows, is dead-lettered (FORMAT_INVALID, MESSAGE_TOO_LARGE) before it is decoded: one attempt.
 * - A permanent failure adds the envelope to the dead-letter queue with its error code and
 *   reason, then fails the job with UnrecoverableError: no retry. The failed job keeps only a
 *   pointer to its dead-letter entry, so one copy of the envelope is kept.
 * - `sendPointer` adds a job whose data is an offloaded envelope's pointer (`{ pointer:
 *   <Extended Client JSON>, ExtendedPayloadSize, "sealpost-envelope-sha256" }`); the consumer hands
 *   it over as `delivery.pointer`, a malformed one is dead-lettered as POINTER_INVALID.
 * - A transient failure is retried with capped exponential backoff, up to `attempts`; only then
 *   is it dead-lettered, with code `RETRIES_EXHAUSTED`.
 * - A job whose worker died is found by BullMQ's stalled-job check and delivered again.
 * - `send` and `start` first check that Redis answers within `connectTimeoutMs` and fail with
 *   TRANSPORT_UNAVAILABLE (naming host and queue) when it does not; a send that takes longer
 *   than `sendTimeoutMs` fails the same way. After start, lost connections are retried with
 *   backoff doubling from 500 ms to 30 s, each failure reported through `onError`.
 */
export function createBullmqTransport(options: BullmqOptions): { sender: TransportSender; consumer: TransportConsumer } {
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const prefix = options.prefix ?? 'bull';
  const concurrency = checkRange('concurrency', options.concurrency ?? 8, 1, 256);
  const attempts = checkRange('attempts', options.attempts ?? 100, 1, 1_000_000);
  const retryDelayMs = checkRange('retryDelayMs', options.retryDelayMs ?? 500, 1, 3_600_000);
  const maxRetryDelayMs = checkRange('maxRetryDelayMs', options.maxRetryDelayMs ?? 60_000, 1, 86_400_000);
  const maxEnvelopeBytes = options.maxEnvelopeBytes ?? 16 * 1024 * 1024;
  const deadLetterName = options.deadLetterQueue ?? `${options.queue}-dead`;
  const connectTimeoutMs = checkRange('connectTimeoutMs', options.connectTimeoutMs ?? 5000, 1, 600_000);
  const sendTimeoutMs = checkRange('sendTimeoutMs', options.sendTimeoutMs ?? 30_000, 1, 3_600_000);
  // Options, not a client: BullMQ then owns each connection and closes it in close().
  const url = new URL(redisUrl);
  const connection = () => ({
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 6379),
    db: Number(url.pathname.replace(/^\//, '') || 0),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    maxRetriesPerRequest: null,
    connectTimeout: connectTimeoutMs,
    retryStrategy: reconnectDelay,
  });
  // Names the transport in every error, without the password.
  const where = `BullMQ redis://${url.host}/${options.queue}`;
  const unavailable = (what: string) => (cause: unknown): never => {
    if (isSealpostError(cause)) throw new SealpostError(cause.code, `${where}: ${cause.message}`, { cause });
    throw new SealpostError('TRANSPORT_UNAVAILABLE', `${where}: ${what}: ${(cause as Error).message}`, { cause });
  };
  /**
   * One connection attempt with no retries, bounded by connectTimeoutMs: BullMQ's own clients
   * retry forever, so an unreachable Redis would otherwise make `send` and `start` hang.
   */
  const probe = async () => {
    const client = new Redis({ ...connection(), lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    let lastError: Error | undefined;
    client.on('error', (error: Error) => (lastError = error));
    try {
      await within(client.connect().then(() => client.ping()), connectTimeoutMs, 'connect');
    } catch (cause) {
      throw new SealpostError('TRANSPORT_UNAVAILABLE', `${where}: Redis is unreachable (${(lastError ?? (cause as Error)).message})`, { cause });
    } finally {
      client.disconnect();
    }
  };
  let reachable: Promise<void> | undefined;
  const ensureReachable = () =>
    (reachable ??= probe().catch((error: unknown) => {
      reachable = undefined;
      throw error;
    }));
  const withEvents = <Q extends Queue>(q: Q): Q => {
    q.on('error', (error) => options.events?.onError?.(error));
    return q;
  };
  let queue: Queue<JobData> | undefined;
  let deadLetter: Queue | undefined;
  const queueOf = () => (queue ??= withEvents(new Queue<JobData>(options.queue, { connection: connection(), prefix })));
  const deadLetterOf = () => (deadLetter ??= withEvents(new Queue(deadLetterName, { connection: connection(), prefix })));
  /** Closes a queue; one whose Redis is gone is disconnected instead of waiting for it. */
  const closeQueue = async (q: Queue | undefined) => {
    if (!q) return;
    await within(q.close(), connectTimeoutMs, 'close').catch(() => q.disconnect());
  };
  const jobOptions = (messageId?: string) => ({
    ...(messageId ? { jobId: messageId } : {}),
    attempts,
    backoff: { type: 'capped' },
    removeOnComplete: true,
    removeOnFail: 1000,
  });
  const check = (envelope: Uint8Array) => {
    if (envelope.length > maxEnvelopeBytes) throw new SealpostError('MESSAGE_TOO_LARGE', `envelope of ${envelope.length} bytes exceeds the BullMQ limit of ${maxEnvelopeBytes}`);
  };

  const sender: TransportSender = {
    maxEnvelopeBytes,
    // addBulk is one round trip (a MULTI) whatever its size; a hundred jobs keep it well under a second of Redis time.
    batchSize: 100,
    async send(envelope, sendOptions) {
      check(envelope);
      await ensureReachable();
      await within(queueOf().add('envelope', { envelope: Buffer.from(envelope).toString('base64') }, jobOptions(sendOptions?.messageId)), sendTimeoutMs, 'add').catch(unavailable('add'));
    },
    async sendPointer(pointer, sendOptions) {
      await ensureReachable();
      await within(queueOf().add('envelope', pointerJobData(pointer) as never, jobOptions(sendOptions?.messageId)), sendTimeoutMs, 'add').catch(unavailable('add'));
    },
    async sendBatch(items) {
      items.forEach((item) => check(item.envelope));
      await ensureReachable();
      await within(
        queueOf().addBulk(items.map((item) => ({ name: 'envelope', data: { envelope: Buffer.from(item.envelope).toString('base64') }, opts: jobOptions(item.options?.messageId) }))),
        sendTimeoutMs,
        'addBulk',
      ).catch(unavailable('addBulk'));
    },
    async close() {
      await closeQueue(queue);
      await closeQueue(deadLetter);
    },
  };

  let worker: Worker<JobData> | undefined;
  let stopping: Promise<void> | undefined;

  /**
   * Adds the job's data to the dead-letter queue (under a job id derived from this one, so a
   * retry after a crash adds nothing twice), then replaces the job's own data with a pointer:
   * the failed set keeps a small record, the dead-letter queue the one copy of the envelope.
   */
  async function deadLetterJob(job: Job, code: string, reason: string): Promise<void> {
    const jobId = `dead-${String(job.id)}`;
    const data = job.data as unknown;
    const payload = typeof (data as Partial<JobData> | null)?.envelope === 'string' ? { envelope: (data as JobData).envelope } : { data };
    await deadLetterOf().add('dead-letter', { ...payload, code, reason, jobId: job.id, queue: options.queue, at: new Date().toISOString(), attempts: job.attemptsMade + 1 }, { jobId, removeOnComplete: false });
    await job.updateData({ deadLettered: { queue: deadLetterName, jobId, code } } satisfies DeadLetteredData);
  }

  const consumer: TransportConsumer = {
    async start(handler: MessageHandler) {
      if (worker) throw new SealpostError('CONFIG_INVALID', 'the BullMQ consumer is already running');
      await ensureReachable();
      worker = new Worker<JobData>(
        options.queue,
        async (job) => {
          const data = job.data as unknown;
          // Redelivered after its dead-letter copy was written (the worker died before failing it).
          if (isDeadLettered(data)) throw new UnrecoverableError(`dead-lettered as ${data.deadLettered.code}`);
          let delivery: Delivery;
          try {
            const transportId = String(job.id);
            const attempt = job.attemptsMade + 1;
            delivery = isPointerJobData(data)
              ? { envelope: new Uint8Array(0), pointer: parsePointerJobData(data), transportId, attempt }
              : { envelope: decodeBase64Envelope((data as Partial<JobData> | null)?.envelope, maxEnvelopeBytes, `BullMQ job ${transportId}`), transportId, attempt };
          } catch (error) {
            const refusal = error as SealpostError;
            await deadLetterJob(job, refusal.code, refusal.message);
            options.events?.onDeadLettered?.({ envelope: new Uint8Array(0), transportId: String(job.id), attempt: job.attemptsMade + 1 }, refusal);
            throw new UnrecoverableError(`${refusal.code}: ${refusal.message}`);
          }
          options.events?.onReceived?.(delivery);
          try {
            await handler(delivery);
            options.events?.onAcked?.(delivery);
          } catch (error) {
            if (isSealpostError(error) && !error.transient) {
              // The dead-letter copy is written first: if this worker dies now, the job stalls and is retried, never lost.
              await deadLetterJob(job, error.code, error.message);
              options.events?.onDeadLettered?.(delivery, error);
              throw new UnrecoverableError(`${error.code}: ${error.message}`);
            }
            if (job.attemptsMade + 1 >= attempts) {
              await deadLetterJob(job, 'RETRIES_EXHAUSTED', (error as Error)?.message ?? String(error));
              throw new UnrecoverableError(`retries exhausted: ${(error as Error)?.message ?? String(error)}`);
            }
            options.events?.onRetried?.(delivery, error, Math.min(maxRetryDelayMs, retryDelayMs * 2 ** job.attemptsMade));
            throw error;
          }
        },
        {
          connection: connection(),
          prefix,
          concurrency,
          lockDuration: options.lockDurationMs ?? 30_000,
          stalledInterval: options.stalledIntervalMs ?? 30_000,
          maxStalledCount: 1_000_000,
          settings: { backoffStrategy: (attemptsMade: number) => Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.max(0, attemptsMade - 1)) },
        },
      );
      worker.on('error', (error) => options.events?.onError?.(error));
      await worker.waitUntilReady().catch(unavailable('connect'));
    },
    stop(deadlineMs = 30_000) {
      stopping ??= (async () => {
        if (!worker) return;
        // Take no new jobs, let active ones finish until the deadline; past it, close without
        // waiting: an unfinished job keeps its lock until it expires, then stalls and is delivered again.
        const drained = worker.pause(false);
        const timer = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
        await Promise.race([drained, timer]);
        await within(worker.close(true), connectTimeoutMs, 'close').catch(() => worker?.disconnect());
        await closeQueue(deadLetter);
      })();
      return stopping;
    },
  };
  return { sender, consumer };
}
