import { createBullmqDeadLetters } from './bullmq-dead-letters.ts';
import type { DeadLetterBox } from './dead-letters.ts';
import { parseTransportUrl } from './open-transport.ts';
import { createSpoolDeadLetters } from './spool-dead-letters.ts';
import { createSqsDeadLetters } from './sqs-dead-letters.ts';

/**
 * Opens the dead letters of the transport a URL names (the same URL the receiver consumes):
 * a spool's `dead/`, a BullMQ queue's dead-letter queue, or the SQS URL's `deadLetter` queue.
 */
export function openDeadLetters(url: string): DeadLetterBox {
  const target = parseTransportUrl(url);
  if (target.kind === 'bullmq') return createBullmqDeadLetters(target.options);
  if (target.kind === 'sqs') return createSqsDeadLetters(target.options);
  return createSpoolDeadLetters(target.directory);
}
