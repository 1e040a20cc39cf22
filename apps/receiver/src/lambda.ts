import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SealpostError, isSealpostError, type Opener } from '@sealpost/envelope';
import type { MessageStore } from '@sealpost/store';
import { looksLikePointer, parsePointer, SHA256_ATTRIBUTE, SIZE_ATTRIBUTE, type Delivery } from '@sealpost/transport';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import pino, { type Logger } from 'pino';
import { createReceiverMetrics, type ReceiverMetrics } from './metrics.ts';
import type { OffloadHandling } from './offload.ts';
import { createMessageProcessor } from './processor.ts';

/** Options for {@link createSqsHandler}. */
export interface SqsHandlerOptions {
  readonly opener: Opener;
  readonly store: MessageStore;
  readonly logger?: Logger;
  readonly metrics?: ReceiverMetrics;
  /**
   * Where permanently failed records go at once, with their error code and reason. Without it
   * they are reported as batch item failures, and the queue's redrive policy moves them to its
   * dead-letter queue after maxReceiveCount attempts.
   */
  readonly deadLetter?: { readonly client: SQSClient; readonly queueUrl: string };
  /**
   * How offload pointers are followed. The payload of an offloaded envelope is written to the
   * work directory (in Lambda, `/tmp`) while it is verified, one pointer record at a time, so
   * `reader`'s `maxBytes` must leave room in the function's ephemeral storage; a pointer declaring
   * more is dead-lettered unread with OFFLOAD_TOO_LARGE. Without it, pointers are dead-lettered
   * with POINTER_BUCKET_NOT_ALLOWED.
   */
  readonly offload?: OffloadHandling;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The delivery a record carries: an offload pointer (Extended Client form) or a base64 envelope. */
function deliveryOf(record: SQSRecord): Delivery {
  const transportId = record.messageId;
  const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
  if (looksLikePointer(record.body)) {
    const attribute = (name: string) => record.messageAttributes?.[name]?.stringValue;
    return { envelope: new Uint8Array(0), pointer: parsePointer(record.body, attribute(SIZE_ATTRIBUTE), attribute(SHA256_ATTRIBUTE)), transportId, attempt };
  }
  return { envelope: envelopeOf(record), transportId, attempt };
}

function envelopeOf(record: SQSRecord): Buffer {
  const body = record.body.trim();
  if (body.length % 4 !== 0 || !BASE64.test(body)) {
    throw new SealpostError('FORMAT_INVALID', 'the SQS message body is not a base64 envelope');
  }
  return Buffer.from(body, 'base64');
}

/**
 * An AWS Lambda handler for an SQS event source (the SQS -> Lambda -> store shape), with
 * partial batch responses (`ReportBatchItemFailures` must be enabled on the mapping):
 *
 * - A record is left out of `batchItemFailures` (so SQS deletes it) only once it is stored,
 *   or once a permanent failure has been written to the configured dead-letter queue.
 * - Transient failures, and permanent ones without a dead-letter queue, are reported as
 *   failures: SQS makes them visible again and redrives them after maxReceiveCount.
 * - On a FIFO queue records are processed in order, and after the first failure the rest of
 *   the batch is reported too, so no message overtakes an earlier one of its group.
 *
 * @example
 * ```ts
 * export const handler = createSqsHandler({ opener, store })
 * ```
 */
export function createSqsHandler(options: SqsHandlerOptions): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const logger = options.logger ?? pino({ level: 'info' });
  const metrics = options.metrics ?? createReceiverMetrics({ transport: 'lambda-sqs' });
  const process = createMessageProcessor({ opener: options.opener, store: options.store, metrics, logger, ...(options.offload ? { offload: options.offload } : {}) });
  let initialised: Promise<void> | undefined;
  // Pointer records take turns: one offloaded payload in /tmp at a time.
  let offloadTurn: Promise<unknown> = Promise.resolve();
  const inTurn = (work: () => Promise<void>) => {
    const run = offloadTurn.then(work, work);
    offloadTurn = run.catch(() => undefined);
    return run;
  };

  async function handleRecord(record: SQSRecord): Promise<boolean> {
    try {
      const delivery = deliveryOf(record);
      await (delivery.pointer ? inTurn(() => process(delivery)) : process(delivery));
      return true;
    } catch (error) {
      const failure = isSealpostError(error) ? error : new SealpostError('INTERNAL_ERROR', String(error), { cause: error });
      if (failure.transient || !options.deadLetter) return false;
      try {
        await options.deadLetter.client.send(
          new SendMessageCommand({
            QueueUrl: options.deadLetter.queueUrl,
            MessageBody: record.body,
            MessageAttributes: {
              'sealpost-error-code': { DataType: 'String', StringValue: failure.code },
              'sealpost-error-reason': { DataType: 'String', StringValue: failure.message.slice(0, 1024) },
              'sealpost-source-message-id': { DataType: 'String', StringValue: record.messageId },
              // A dead-lettered pointer keeps what makes it one (its object stays in the bucket).
              ...Object.fromEntries(
                [SIZE_ATTRIBUTE, SHA256_ATTRIBUTE].flatMap((name) => {
                  const value = record.messageAttributes?.[name];
                  return value?.stringValue ? [[name, { DataType: value.dataType, StringValue: value.stringValue }]] : [];
                }),
              ),
            },
          }),
        );
        metrics.deadLettered.inc({ code: failure.code });
        return true;
      } catch (dlqError) {
        logger.error({ err: dlqError, transportId: record.messageId }, 'could not dead-letter a rejected record; leaving it for redrive');
        return false;
      }
    }
  }

  return async (event) => {
    initialised ??= options.store.init().catch((error: unknown) => {
      initialised = undefined;
      throw error;
    });
    await initialised;
    const records = event.Records;
    const fifo = records.some((r) => r.eventSourceARN?.endsWith('.fifo'));
    const failed: string[] = [];
    if (fifo) {
      for (const record of records) {
        if (failed.length > 0 || !(await handleRecord(record))) failed.push(record.messageId);
      }
    } else {
      const outcomes = await Promise.all(records.map(handleRecord));
      records.forEach((record, i) => {
        if (!outcomes[i]) failed.push(record.messageId);
      });
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
