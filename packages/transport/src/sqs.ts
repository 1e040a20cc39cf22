import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { SealpostError, isSealpostError } from '@sealpost/envelope';
import { Consumer } from 'sqs-consumer';
import { decodeBase64Envelope } from './base64-envelope.ts';
import { looksLikePointer, parsePointer, pointerBody, SHA256_ATTRIBUTE, SIZE_ATTRIBUTE, type OffloadPointer } from './offload/pointer.ts';
import type { TransportEvents } from './events.ts';
import type { Delivery, MessageHandler, SendOptions, TransportConsumer, TransportSender } from './types.ts';

/** Options for {@link createSqsTransport}. */
export interface SqsOptions {
  /** The queue URL, exactly as SQS (or the emulator) returned it. */
  readonly queueUrl: string;
  /** Where permanently failed messages go, with their error code and reason as attributes. */
  readonly deadLetterQueueUrl?: string;
  /** A client to use; by default one from the standard AWS configuration (endpoint from a non-AWS queue URL). */
  readonly client?: SQSClient;
  /** Messages processed at once (1-256; SQS hands out at most 10 per receive). @defaultValue 10 */
  readonly concurrency?: number;
  /** Visibility timeout while a message is processed, in seconds; renewed by a heartbeat. @defaultValue 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** First retry delay after a transient failure, doubling per receive, in seconds. @defaultValue 2 */
  readonly retryDelaySeconds?: number;
  /** Longest retry delay, in seconds (SQS allows up to 12 hours). @defaultValue 300 */
  readonly maxRetryDelaySeconds?: number;
  /** The queue's maximum message size in bytes (256 KiB by default in SQS, up to 1 MiB). @defaultValue 262144 */
  readonly maxMessageBytes?: number;
  /**
   * Largest envelope accepted, by `send` and by the consumer (a longer body is dead-lettered
   * before it is decoded); at most what fits the queue's message size. @defaultValue from maxMessageBytes
   */
  readonly maxEnvelopeBytes?: number;
  /** How long one send (or the start-up check of the queue) may take before it fails with TRANSPORT_UNAVAILABLE, in ms. @defaultValue 30000 */
  readonly sendTimeoutMs?: number;
  /** FIFO queues: the message group. @defaultValue 'sealpost' */
  readonly messageGroupId?: string;
  /** Long-poll wait, in seconds (0-20). @defaultValue 20 */
  readonly waitTimeSeconds?: number;
  readonly events?: TransportEvents;
}

/** An SQS client for a queue URL: its region from an AWS URL, its endpoint from any other. */
export function clientFor(queueUrl: string): SQSClient {
  const url = new URL(queueUrl);
  const aws = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname);
  const region = aws?.[1] ?? process.env.AWS_REGION ?? 'us-east-1';
  // An endpoint from the standard configuration wins; otherwise a queue URL that is not AWS's
  // (an emulator, a VPC endpoint) is also the endpoint to call.
  // (Passed explicitly: the SDK otherwise calls the host named in each QueueUrl.)
  const configured = process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  if (configured) return new SQSClient({ region, endpoint: configured });
  return new SQSClient(aws ? { region } : { endpoint: url.origin, region });
}

/** Message attribute carrying the Sealpost message id, set by `send` when one is given. */
export const MESSAGE_ID_ATTRIBUTE = 'sealpost-message-id';

/** A string message attribute's value. */
export const attributeOf = (message: Message, name: string) => message.MessageAttributes?.[name]?.StringValue;

/** The pointer attributes of a message, copied as they are (a dead letter or redrive keeps them). */
export function pointerAttributes(message: Message): NonNullable<Message['MessageAttributes']> {
  const copied: NonNullable<Message['MessageAttributes']> = {};
  for (const name of [SIZE_ATTRIBUTE, SHA256_ATTRIBUTE]) {
    const value = message.MessageAttributes?.[name];
    if (value?.StringValue !== undefined) copied[name] = { DataType: value.DataType ?? 'String', StringValue: value.StringValue };
  }
  return copied;
}

/** The longest visibility timeout SQS allows: 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

const unavailableAt = (queueUrl: string) => (what: string) => (cause: unknown): never => {
  const reason = (cause as Error).name === 'TimeoutError' || (cause as Error).name === 'AbortError' ? 'no answer in time' : (cause as Error).message;
  throw new SealpostError('TRANSPORT_UNAVAILABLE', `SQS ${queueUrl}: ${what}: ${reason}`, { cause });
};

/**
 * Amazon SQS, with sqs-consumer for long polling and visibility heartbeats.
 *
 * - Envelopes travel base64-encoded in the body; one whose body would exceed the queue's
 *   maximum message size is refused at send with MESSAGE_TOO_LARGE.
 * - A message is deleted only when the handler resolves.
 * - A body that is not a base64 envelope, or longer than `maxEnvelopeBytes` allows, is a
 *   permanent failure (FORMAT_INVALID, MESSAGE_TOO_LARGE) found before it is decoded.
 * - A permanent failure sends the body to the dead-letter queue with attributes
 *   `sealpost-error-code`, `sealpost-error-reason`, `sealpost-source-message-id`,
 *   `sealpost-attempts` and `sealpost-message-id` (when sent with one), then deletes the original. Without a
 *   dead-letter queue it is reported once per receive and parked for 12 hours (the longest
 *   visibility timeout); the queue's redrive policy moves it on.
 * - A transient failure leaves the message and sets its visibility to a backoff delay that
 *   doubles with ApproximateReceiveCount; the queue's redrive policy stays the last backstop.
 * - `sendPointer` sends an offloaded envelope's pointer in the SQS Extended Client form: body
 *   `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":...,"s3Key":...}]`,
 *   attribute `ExtendedPayloadSize`, plus `sealpost-envelope-sha256`. A body starting with `[`
 *   is read as a pointer (a malformed one is dead-lettered as POINTER_INVALID) and handed over
 *   as `delivery.pointer`.
 * - FIFO queues (URL ending .fifo): MessageGroupId from the options, deduplication id = the
 *   message id (or the envelope's SHA-256).
 */
export function createSqsTransport(options: SqsOptions): { sender: TransportSender; consumer: TransportConsumer } {
  const client = options.client ?? clientFor(options.queueUrl);
  const fifo = options.queueUrl.endsWith('.fifo');
  const maxMessageBytes = options.maxMessageBytes ?? 262_144;
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1024 || maxMessageBytes > 1_048_576) throw new SealpostError('CONFIG_INVALID', 'maxMessageBytes must be between 1024 and 1048576');
  const concurrency = options.concurrency ?? 10;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new SealpostError('CONFIG_INVALID', `concurrency must be between 1 and 256, got ${concurrency}`);
  const maxEnvelopeBytes = Math.min(Math.floor(maxMessageBytes / 4) * 3, options.maxEnvelopeBytes ?? Infinity);
  const retryDelay = options.retryDelaySeconds ?? 2;
  const sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
  const unavailable = unavailableAt(options.queueUrl);
  const bounded = () => ({ abortSignal: AbortSignal.timeout(sendTimeoutMs) });
  const maxRetryDelay = options.maxRetryDelaySeconds ?? 300;

  const entry = (envelope: Uint8Array, sendOptions?: SendOptions) => {
    if (envelope.length > maxEnvelopeBytes) {
      throw new SealpostError('MESSAGE_TOO_LARGE', `envelope of ${envelope.length} bytes exceeds what fits in an SQS message of ${maxMessageBytes} bytes (${maxEnvelopeBytes} bytes before base64)`);
    }
    return {
      MessageBody: Buffer.from(envelope).toString('base64'),
      // The message id travels beside the body so a dead letter can be found by it without keys.
      ...(sendOptions?.messageId ? { MessageAttributes: { [MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: sendOptions.messageId } } } : {}),
      ...(fifo
        ? { MessageGroupId: options.messageGroupId ?? 'sealpost', MessageDeduplicationId: sendOptions?.messageId ?? createHash('sha256').update(envelope).digest('hex') }
        : {}),
    };
  };

  /** An Extended Client pointer message: the JSON body, ExtendedPayloadSize, and the envelope digest. */
  const pointerEntry = (pointer: OffloadPointer, sendOptions?: SendOptions) => ({
    MessageBody: pointerBody(pointer),
    MessageAttributes: {
      [SIZE_ATTRIBUTE]: { DataType: 'Number', StringValue: String(pointer.size) },
      [SHA256_ATTRIBUTE]: { DataType: 'String', StringValue: pointer.sha256 },
      ...(sendOptions?.messageId ? { [MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: sendOptions.messageId } } : {}),
    },
    ...(fifo ? { MessageGroupId: options.messageGroupId ?? 'sealpost', MessageDeduplicationId: sendOptions?.messageId ?? pointer.sha256 } : {}),
  });

  const sender: TransportSender = {
    maxEnvelopeBytes,
    // SendMessageBatch takes ten entries.
    batchSize: 10,
    async send(envelope, sendOptions) {
      const body = entry(envelope, sendOptions);
      await client.send(new SendMessageCommand({ QueueUrl: options.queueUrl, ...body }), bounded()).catch(unavailable('SendMessage'));
    },
    async sendPointer(pointer, sendOptions) {
      await client.send(new SendMessageCommand({ QueueUrl: options.queueUrl, ...pointerEntry(pointer, sendOptions) }), bounded()).catch(unavailable('SendMessage'));
    },
    async sendBatch(items) {
      const entries = items.map((item) => entry(item.envelope, item.options));
      for (let i = 0; i < entries.length; i += 10) {
        let pending = entries.slice(i, i + 10).map((e, j) => ({ Id: String(j), ...e }));
        for (let attempt = 0; pending.length > 0; attempt++) {
          const result = await client.send(new SendMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: pending }), bounded()).catch(unavailable('SendMessageBatch'));
          const failed = result.Failed ?? [];
          if (failed.length === 0) break;
          const permanent = failed.find((f) => f.SenderFault);
          if (permanent || attempt >= 4) {
            throw new SealpostError('TRANSPORT_UNAVAILABLE', `SQS SendMessageBatch: ${failed.length} entries failed (${failed[0]!.Code}: ${failed[0]!.Message})`, { transient: !permanent });
          }
          const ids = new Set(failed.map((f) => f.Id));
          pending = pending.filter((p) => ids.has(p.Id));
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        }
      }
    },
    async close() {
      if (!options.client) client.destroy();
    },
  };

  let consumers: Consumer[] = [];
  let stopping: Promise<void> | undefined;
  const visibility = options.visibilityTimeoutSeconds ?? 30;
  // Receipt handles of messages being processed, for the heartbeat and for giving them back on stop.
  const inFlight = new Set<string>();
  let abandoned = false;
  const setVisibility = (receiptHandle: string, seconds: number) =>
    client.send(new ChangeMessageVisibilityCommand({ QueueUrl: options.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds })).catch((e: unknown) => options.events?.onError?.(e));

  async function handle(message: Message, handler: MessageHandler): Promise<Message> {
    const receipt = message.ReceiptHandle ?? '';
    inFlight.add(receipt);
    // The heartbeat keeps the message invisible while it is processed; it stops when the
    // consumer gives the message back, as it would if the process had died.
    const heartbeat = setInterval(() => {
      if (!abandoned) void setVisibility(receipt, visibility);
    }, Math.max(1000, (visibility * 1000) / 3));
    try {
      return await processMessage(message, handler);
    } finally {
      clearInterval(heartbeat);
      inFlight.delete(receipt);
    }
  }

  /** Sends the body, verbatim, to the dead-letter queue with the error's code and reason. */
  async function deadLetter(message: Message, delivery: Delivery, error: SealpostError): Promise<void> {
    const messageId = message.MessageAttributes?.[MESSAGE_ID_ATTRIBUTE]?.StringValue;
    await client.send(
      new SendMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        MessageBody: message.Body ?? '',
        MessageAttributes: {
          'sealpost-error-code': { DataType: 'String', StringValue: error.code },
          'sealpost-error-reason': { DataType: 'String', StringValue: error.message.slice(0, 1024) },
          'sealpost-source-message-id': { DataType: 'String', StringValue: delivery.transportId },
          'sealpost-attempts': { DataType: 'Number', StringValue: String(delivery.attempt) },
          ...(messageId ? { [MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: messageId } } : {}),
          // A dead-lettered pointer keeps what makes it one, so a redrive sends a pointer again.
          ...pointerAttributes(message),
        },
        ...(options.deadLetterQueueUrl!.endsWith('.fifo') ? { MessageGroupId: options.messageGroupId ?? 'sealpost', MessageDeduplicationId: delivery.transportId } : {}),
      }),
    );
  }

  /**
   * A permanent failure goes to the dead-letter queue and the message is deleted. With no
   * dead-letter queue configured it is reported (onError) and parked for the longest visibility
   * SQS allows, so it is neither lost nor retried every few seconds; the queue's redrive policy
   * moves it on after maxReceiveCount.
   */
  async function reject(message: Message, delivery: Delivery, error: SealpostError): Promise<Message> {
    if (!options.deadLetterQueueUrl) {
      await setVisibility(message.ReceiptHandle ?? '', MAX_VISIBILITY_SECONDS);
      options.events?.onError?.(new SealpostError(error.code, `SQS message ${delivery.transportId} failed permanently (${error.message}) and no dead-letter queue is configured: parked for 12 h, the queue's redrive policy moves it on`, { cause: error, transient: false }));
      throw error;
    }
    await deadLetter(message, delivery, error);
    options.events?.onDeadLettered?.(delivery, error);
    return message;
  }

  async function processMessage(message: Message, handler: MessageHandler): Promise<Message> {
    const attempt = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    const transportId = message.MessageId ?? randomUUID();
    let delivery: Delivery;
    try {
      delivery = looksLikePointer(message.Body)
        ? { envelope: new Uint8Array(0), pointer: parsePointer(message.Body, attributeOf(message, SIZE_ATTRIBUTE), attributeOf(message, SHA256_ATTRIBUTE)), transportId, attempt }
        : { envelope: decodeBase64Envelope(message.Body, maxEnvelopeBytes, `SQS message ${transportId}`), transportId, attempt };
    } catch (error) {
      return reject(message, { envelope: new Uint8Array(0), transportId, attempt }, error as SealpostError);
    }
    options.events?.onReceived?.(delivery);
    try {
      await handler(delivery);
      options.events?.onAcked?.(delivery);
      return message;
    } catch (error) {
      if (isSealpostError(error) && !error.transient) return reject(message, delivery, error);
      const delay = Math.min(maxRetryDelay, retryDelay * 2 ** (attempt - 1));
      await setVisibility(message.ReceiptHandle ?? '', delay);
      options.events?.onRetried?.(delivery, error, delay * 1000);
      throw error;
    }
  }

  const consumer: TransportConsumer = {
    async start(handler) {
      if (consumers.length > 0) throw new SealpostError('CONFIG_INVALID', 'the SQS consumer is already running');
      // Fail fast: the queues must answer now (sqs-consumer would otherwise retry them forever, quietly).
      for (const queueUrl of [options.queueUrl, ...(options.deadLetterQueueUrl ? [options.deadLetterQueueUrl] : [])]) {
        await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }), bounded()).catch(unavailableAt(queueUrl)('GetQueueAttributes'));
      }
      for (let left = concurrency; left > 0; left -= 10) {
        const c = Consumer.create({
          queueUrl: options.queueUrl,
          sqs: client,
          batchSize: Math.min(10, left),
          waitTimeSeconds: options.waitTimeSeconds ?? 20,
          visibilityTimeout: visibility,
          messageSystemAttributeNames: ['ApproximateReceiveCount'],
          messageAttributeNames: ['All'],
          // Our handler sets the backoff itself; sqs-consumer must not reset the visibility.
          terminateVisibilityTimeout: false,
          strictReturn: true,
          suppressFifoWarning: true,
          pollingCompleteWaitTimeMs: 60_000,
          handleMessage: (message) => handle(message, handler),
        });
        c.on('error', (error) => options.events?.onError?.(error));
        c.on('processing_error', () => undefined);
        c.start();
        consumers.push(c);
      }
    },
    stop(deadlineMs = 30_000) {
      stopping ??= (async () => {
        const all = consumers;
        consumers = [];
        const stopped = Promise.all(all.map((c) => once(c, 'stopped')));
        for (const c of all) c.stop({ abort: false });
        await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, deadlineMs).unref())]);
        // Past the deadline, unfinished messages are given back: visible again at once, never deleted here.
        abandoned = true;
        await Promise.all([...inFlight].map((receipt) => setVisibility(receipt, 0)));
        for (const c of all) if (c.status.isRunning) c.stop({ abort: true });
      })();
      return stopping;
    },
  };
  return { sender, consumer };
}
