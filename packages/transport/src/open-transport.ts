import { SealpostError } from '@sealpost/envelope';
import { createBullmqTransport, type BullmqOptions } from './bullmq.ts';
import type { TransportEvents } from './events.ts';
import { createSpoolTransport } from './spool.ts';
import { createSqsTransport, type SqsOptions } from './sqs.ts';
import type { TransportConsumer, TransportSender } from './types.ts';

/** Options shared by every transport opened from a URL. */
export interface OpenTransportOptions {
  readonly concurrency?: number;
  /** Largest envelope sent or accepted; larger deliveries are dead-lettered before they are decoded. */
  readonly maxEnvelopeBytes?: number;
  readonly events?: TransportEvents;
}

/** What a transport URL names: the backend and its options. */
export type TransportTarget =
  | { readonly kind: 'spool'; readonly directory: string }
  | { readonly kind: 'bullmq'; readonly options: BullmqOptions }
  | { readonly kind: 'sqs'; readonly options: SqsOptions };

/**
 * Reads a transport URL (see {@link openTransport} for the forms) without connecting to anything.
 * A URL that names no usable transport is CONFIG_INVALID.
 */
export function parseTransportUrl(url: string): TransportTarget {
  if (url.startsWith('bullmq://') || url.startsWith('redis://')) {
    if (!URL.canParse(url.replace(/^bullmq:/, 'redis:'))) throw new SealpostError('CONFIG_INVALID', `the BullMQ URL ${JSON.stringify(url)} must be bullmq://host:6379/queue-name`);
    const parsed = new URL(url.replace(/^bullmq:/, 'redis:'));
    const queue = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!/^[\w.-]+$/.test(queue)) throw new SealpostError('CONFIG_INVALID', `the BullMQ URL ${JSON.stringify(url)} must name a queue: bullmq://host:6379/queue-name`);
    const db = parsed.searchParams.get('db');
    const prefix = parsed.searchParams.get('prefix');
    const deadLetter = parsed.searchParams.get('deadLetter');
    const lockDuration = parsed.searchParams.get('lockDurationMs');
    const stalledInterval = parsed.searchParams.get('stalledIntervalMs');
    return {
      kind: 'bullmq',
      options: {
        redisUrl: `redis://${parsed.username ? `${parsed.username}:${parsed.password}@` : ''}${parsed.host}/${db ?? '0'}`,
        queue,
        ...(prefix ? { prefix } : {}),
        ...(deadLetter ? { deadLetterQueue: deadLetter } : {}),
        ...(lockDuration ? { lockDurationMs: Number(lockDuration) } : {}),
        ...(stalledInterval ? { stalledIntervalMs: Number(stalledInterval) } : {}),
      },
    };
  }
  if (url.startsWith('sqs:')) {
    const expected = `the SQS URL ${JSON.stringify(url)} must be sqs: followed by a queue URL, e.g. sqs:https://sqs.eu-north-1.amazonaws.com/111122223333/inbox?deadLetter=<DLQ URL>`;
    if (!URL.canParse(url.slice('sqs:'.length))) throw new SealpostError('CONFIG_INVALID', expected);
    const parsed = new URL(url.slice('sqs:'.length));
    const deadLetter = parsed.searchParams.get('deadLetter');
    const maxMessageBytes = parsed.searchParams.get('maxMessageBytes');
    const visibility = parsed.searchParams.get('visibilityTimeoutSeconds');
    parsed.search = '';
    if (!/^https?:$/.test(parsed.protocol) || parsed.pathname.split('/').filter(Boolean).length < 2) {
      throw new SealpostError('CONFIG_INVALID', expected);
    }
    return {
      kind: 'sqs',
      options: {
        queueUrl: parsed.toString(),
        ...(deadLetter ? { deadLetterQueueUrl: deadLetter } : {}),
        ...(maxMessageBytes ? { maxMessageBytes: Number(maxMessageBytes) } : {}),
        ...(visibility ? { visibilityTimeoutSeconds: Number(visibility) } : {}),
      },
    };
  }
  if (url.startsWith('spool:')) {
    const directory = url.slice('spool:'.length);
    if (!directory) throw new SealpostError('CONFIG_INVALID', 'spool: transport URL names no directory');
    return { kind: 'spool', directory };
  }
  if (!url.includes('://')) return { kind: 'spool', directory: url };
  throw new SealpostError('CONFIG_INVALID', `unsupported transport ${JSON.stringify(url)}: use spool:DIR, bullmq://HOST:PORT/QUEUE or sqs:QUEUE_URL`);
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
  const target = parseTransportUrl(url);
  if (target.kind === 'bullmq') return createBullmqTransport({ ...target.options, ...common });
  if (target.kind === 'sqs') return createSqsTransport({ ...target.options, ...common });
  return createSpoolTransport(target.directory, common);
}
