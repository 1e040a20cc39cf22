import { SealpostError } from '@sealpost/envelope';
import { createBullmqTransport } from './bullmq.ts';
import type { TransportEvents } from './events.ts';
import { createSpoolTransport } from './spool.ts';
import { createSqsTransport } from './sqs.ts';
import type { TransportConsumer, TransportSender } from './types.ts';

/** Options shared by every transport opened from a URL. */
export interface OpenTransportOptions {
  readonly concurrency?: number;
  /** Largest envelope sent or accepted; larger deliveries are dead-lettered before they are decoded. */
  readonly maxEnvelopeBytes?: number;
  readonly events?: TransportEvents;
}

/**
 * Opens a transport from a URL:
 * - `spool:DIR` (or a plain directory path): the local spool directory;
 * - `bullmq://HOST:PORT/QUEUE[?prefix=P&db=N&deadLetter=NAME&lockDurationMs=N&stalledIntervalMs=N]`
 *   (or `redis://HOST:PORT/QUEUE`): BullMQ;
 * - `sqs:QUEUE_URL[?deadLetter=DLQ_URL&maxMessageBytes=N&visibilityTimeoutSeconds=N]`: Amazon SQS
 *   (URL-encode the DLQ URL).
 */
export function openTransport(url: string, options: OpenTransportOptions = {}): { sender: TransportSender; consumer: TransportConsumer } {
  const common = {
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.maxEnvelopeBytes ? { maxEnvelopeBytes: options.maxEnvelopeBytes } : {}),
    ...(options.events ? { events: options.events } : {}),
  };
  if (url.startsWith('bullmq://') || url.startsWith('redis://')) {
    const parsed = new URL(url.replace(/^bullmq:/, 'redis:'));
    const queue = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!/^[\w.-]+$/.test(queue)) throw new SealpostError('CONFIG_INVALID', `the BullMQ URL ${JSON.stringify(url)} must name a queue: bullmq://host:6379/queue-name`);
    const db = parsed.searchParams.get('db');
    const prefix = parsed.searchParams.get('prefix');
    const deadLetter = parsed.searchParams.get('deadLetter');
    const lockDuration = parsed.searchParams.get('lockDurationMs');
    const stalledInterval = parsed.searchParams.get('stalledIntervalMs');
    return createBullmqTransport({
      redisUrl: `redis://${parsed.username ? `${parsed.username}:${parsed.password}@` : ''}${parsed.host}/${db ?? '0'}`,
      queue,
      ...(prefix ? { prefix } : {}),
      ...(deadLetter ? { deadLetterQueue: deadLetter } : {}),
      ...(lockDuration ? { lockDurationMs: Number(lockDuration) } : {}),
      ...(stalledInterval ? { stalledIntervalMs: Number(stalledInterval) } : {}),
      ...common,
    });
  }
  if (url.startsWith('sqs:')) {
    const parsed = new URL(url.slice('sqs:'.length));
    const deadLetter = parsed.searchParams.get('deadLetter');
    const maxMessageBytes = parsed.searchParams.get('maxMessageBytes');
    const visibility = parsed.searchParams.get('visibilityTimeoutSeconds');
    parsed.search = '';
    if (!/^https?:$/.test(parsed.protocol) || parsed.pathname.split('/').filter(Boolean).length < 2) {
      throw new SealpostError('CONFIG_INVALID', `the SQS URL ${JSON.stringify(url)} must be sqs: followed by a queue URL, e.g. sqs:https://sqs.eu-north-1.amazonaws.com/111122223333/inbox?deadLetter=<DLQ URL>`);
    }
    return createSqsTransport({
      queueUrl: parsed.toString(),
      ...(deadLetter ? { deadLetterQueueUrl: deadLetter } : {}),
      ...(maxMessageBytes ? { maxMessageBytes: Number(maxMessageBytes) } : {}),
      ...(visibility ? { visibilityTimeoutSeconds: Number(visibility) } : {}),
      ...common,
    });
  }
  if (url.startsWith('spool:')) {
    const dir = url.slice('spool:'.length);
    if (!dir) throw new SealpostError('CONFIG_INVALID', 'spool: transport URL names no directory');
    return createSpoolTransport(dir, common);
  }
  if (!url.includes('://')) return createSpoolTransport(url, common);
  throw new SealpostError('CONFIG_INVALID', `unsupported transport ${JSON.stringify(url)}: use spool:DIR, bullmq://HOST:PORT/QUEUE or sqs:QUEUE_URL`);
}
