import { Job, Queue } from 'bullmq';
import { SealpostError } from '@sealpost/envelope';
import { pointerLocation, SIZE_ATTRIBUTE } from './offload/pointer.ts';
import { createBullmqTransport, type BullmqOptions } from './bullmq.ts';
import { selects, type DeadLetter, type DeadLetterBox, type DeadLetterSelection } from './dead-letters.ts';

/** The data of a job in the dead-letter queue, as the BullMQ transport writes it. */
interface DeadJobData {
  readonly envelope?: string;
  readonly data?: unknown;
  readonly code?: string;
  readonly reason?: string;
  readonly jobId?: string;
  readonly at?: string;
  readonly attempts?: number;
}

const unavailable = (what: string) => (cause: unknown): never => {
  throw new SealpostError('TRANSPORT_UNAVAILABLE', `BullMQ ${what}: ${(cause as Error).message}`, { cause });
};

/**
 * The dead letters of a BullMQ transport: the jobs of its dead-letter queue (`QUEUE-dead`).
 *
 * Redrive, per dead letter: the source queue's failed job of the same id (which holds only a
 * pointer to the dead letter) is removed; the envelope is added back under its message id as
 * job id, with the transport's usual job options; then the dead-letter job is removed. A crash
 * after the add and before the removal leaves both: the next redrive finds the job still waiting
 * or active and adds nothing. Only if that job was already processed and removed does a repeated
 * redrive deliver the message again, and the store's idempotency by message id acknowledges
 * it as a duplicate without a second row (at least once on the queue, exactly once in the store).
 */
export function createBullmqDeadLetters(options: BullmqOptions): DeadLetterBox {
  const { sender } = createBullmqTransport(options);
  const url = new URL(options.redisUrl ?? 'redis://127.0.0.1:6379');
  const connection = {
    host: url.hostname || '127.0.0.1',
    port: Number(url.port || 6379),
    db: Number(url.pathname.replace(/^\//, '') || 0),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    maxRetriesPerRequest: null,
  };
  const prefix = options.prefix ?? 'bull';
  const dead = new Queue<DeadJobData>(options.deadLetterQueue ?? `${options.queue}-dead`, { connection, prefix });
  const source = new Queue(options.queue, { connection, prefix });

  const describe = (job: Job<DeadJobData>): DeadLetter => {
    const data = job.data;
    const pointer = (data as { data?: { pointer?: unknown; [SIZE_ATTRIBUTE]?: unknown } }).data;
    const offloaded = pointerLocation(pointer?.pointer);
    return {
      ...(offloaded ? { offloaded } : {}),
      id: data.jobId ?? String(job.id),
      transportId: String(job.id),
      code: data.code ?? 'UNKNOWN',
      reason: data.reason ?? 'no reason recorded',
      at: data.at ?? new Date(job.timestamp).toISOString(),
      attempts: data.attempts,
      size: typeof data.envelope === 'string' ? Buffer.byteLength(data.envelope, 'base64') : typeof pointer?.[SIZE_ATTRIBUTE] === 'number' ? pointer[SIZE_ATTRIBUTE] : 0,
    };
  };

  async function jobs(): Promise<Job<DeadJobData>[]> {
    const all = await dead.getJobs(['waiting', 'delayed', 'prioritized', 'failed', 'completed'], 0, -1, true).catch(unavailable('list the dead-letter queue'));
    return all.filter((job): job is Job<DeadJobData> => Boolean(job));
  }

  async function redriveOne(job: Job<DeadJobData>): Promise<void> {
    const data = job.data;
    const messageId = data.jobId;
    // BullMQ refuses integer custom ids: a job that was sent without a message id gets a new one.
    const reuseId = messageId !== undefined && !/^\d+$/.test(messageId);
    const existing = reuseId ? await Job.fromId(source, messageId) : undefined;
    const state = existing ? await existing.getState() : undefined;
    if (existing && (state === 'failed' || state === 'completed')) await existing.remove();
    if (!existing || state === 'failed' || state === 'completed') {
      if (typeof data.envelope === 'string') await sender.send(Buffer.from(data.envelope, 'base64'), reuseId ? { messageId } : {});
      else await source.add('envelope', data.data as never, reuseId ? { jobId: messageId } : {});
    }
    await job.remove();
  }

  async function select(selection: DeadLetterSelection) {
    return (await jobs()).filter((job) => selects(selection, describe(job)));
  }

  return {
    async list() {
      return (await jobs()).map(describe).sort((a, b) => String(a.at).localeCompare(String(b.at)));
    },
    async get(id) {
      const job = (await jobs()).find((j) => selects({ ids: [id] }, describe(j)));
      return job && { ...describe(job), envelope: typeof job.data.envelope === 'string' ? Buffer.from(job.data.envelope, 'base64') : Buffer.from(JSON.stringify(job.data.data ?? null)) };
    },
    async redrive(selection) {
      const moved: DeadLetter[] = [];
      for (const job of await select(selection)) {
        await redriveOne(job).catch(unavailable(`redrive ${String(job.id)}`));
        moved.push(describe(job));
      }
      return moved;
    },
    async purge(selection) {
      const removed: DeadLetter[] = [];
      for (const job of await select(selection)) {
        await job.remove().catch(unavailable(`remove ${String(job.id)}`));
        removed.push(describe(job));
      }
      return removed;
    },
    async close() {
      await Promise.all([dead.close(), source.close(), sender.close()]);
    },
  };
}
