import { ChangeMessageVisibilityBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { SealpostError } from '@sealpost/envelope';
import { selects, type DeadLetter, type DeadLetterBox, type DeadLetterSelection } from './dead-letters.ts';
import { pointerLocation, SIZE_ATTRIBUTE } from './offload/pointer.ts';
import { attributeOf, clientFor, MESSAGE_ID_ATTRIBUTE, pointerAttributes, type SqsOptions } from './sqs.ts';

/** How long the messages of one scan stay invisible to other readers of the dead-letter queue, in seconds. */
const SCAN_VISIBILITY_SECONDS = 120;

const unavailable = (what: string) => (cause: unknown): never => {
  throw new SealpostError('TRANSPORT_UNAVAILABLE', `SQS ${what}: ${(cause as Error).message}`, { cause });
};

function describe(message: Message): DeadLetter {
  const sent = Number(message.Attributes?.SentTimestamp);
  const attempts = Number(attributeOf(message, 'sealpost-attempts'));
  const offloaded = pointerLocation(message.Body);
  return {
    ...(offloaded ? { offloaded } : {}),
    id: attributeOf(message, MESSAGE_ID_ATTRIBUTE) ?? attributeOf(message, 'sealpost-source-message-id') ?? message.MessageId ?? '',
    transportId: message.MessageId ?? '',
    code: attributeOf(message, 'sealpost-error-code') ?? 'UNKNOWN',
    reason: attributeOf(message, 'sealpost-error-reason') ?? 'no reason recorded',
    at: Number.isFinite(sent) ? new Date(sent).toISOString() : undefined,
    attempts: Number.isInteger(attempts) && attempts > 0 ? attempts : undefined,
    // A pointer's size is the offloaded envelope's, from its ExtendedPayloadSize attribute.
    size: attributeOf(message, SIZE_ATTRIBUTE) !== undefined ? Number(attributeOf(message, SIZE_ATTRIBUTE)) : Buffer.byteLength(message.Body ?? '', 'base64'),
  };
}

/**
 * The dead letters of an SQS transport: the messages of its dead-letter queue (the `deadLetter`
 * parameter of the transport URL).
 *
 * SQS cannot be read without receiving, so every operation scans: it receives until the queue
 * returns nothing (each message invisible to other readers for two minutes meanwhile), acts on
 * the selected messages, and makes the rest visible again at once. Redrive sends each selected
 * body, with its message attributes, to the source queue, then deletes it from the dead-letter
 * queue: sent before deleted, so a crash between the two never loses it. Such a crash leaves
 * the dead letter to reappear; redriving it again delivers the message a second time, and the
 * store's idempotency by message id acknowledges that copy as a duplicate without a second row
 * (on a FIFO source queue the deduplication id, the message id, also drops it within five minutes).
 *
 * SQS's own StartMessageMoveTask moves a whole dead-letter queue back to its source, but not one
 * message or one error code, and the emulator these tests run against (fauxqs) does not
 * implement it; every redrive here is receive, send, delete.
 */
export function createSqsDeadLetters(options: SqsOptions & { readonly client?: SQSClient }): DeadLetterBox {
  const deadUrl = options.deadLetterQueueUrl;
  if (!deadUrl) throw new SealpostError('CONFIG_INVALID', 'the SQS transport URL names no dead-letter queue: add ?deadLetter=<URL-encoded DLQ URL>');
  const client = options.client ?? clientFor(options.queueUrl);
  const fifo = options.queueUrl.endsWith('.fifo');

  async function scan(): Promise<Message[]> {
    const seen = new Map<string, Message>();
    for (;;) {
      const { Messages = [] } = await client
        .send(new ReceiveMessageCommand({ QueueUrl: deadUrl, MaxNumberOfMessages: 10, VisibilityTimeout: SCAN_VISIBILITY_SECONDS, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['SentTimestamp'] }))
        .catch(unavailable('ReceiveMessage (dead-letter queue)'));
      if (Messages.length === 0) break;
      for (const m of Messages) seen.set(m.MessageId ?? '', m);
    }
    return [...seen.values()].sort((a, b) => Number(a.Attributes?.SentTimestamp ?? 0) - Number(b.Attributes?.SentTimestamp ?? 0));
  }

  async function release(messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
      await client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: deadUrl, Entries: entries })).catch(unavailable('ChangeMessageVisibilityBatch'));
    }
  }

  /** Scans, hands the selected messages to `act`, and releases every message not acted on. */
  async function withSelected(selection: DeadLetterSelection, act: (message: Message) => Promise<void>): Promise<DeadLetter[]> {
    const all = await scan();
    const done: DeadLetter[] = [];
    const untouched = new Set(all);
    try {
      for (const message of all.filter((m) => selects(selection, describe(m)))) {
        await act(message);
        untouched.delete(message);
        done.push(describe(message));
      }
    } finally {
      await release([...untouched]);
    }
    return done;
  }

  const remove = (message: Message) => client.send(new DeleteMessageCommand({ QueueUrl: deadUrl, ReceiptHandle: message.ReceiptHandle })).catch(unavailable('DeleteMessage (dead-letter queue)'));

  return {
    async list() {
      const all = await scan();
      await release(all);
      return all.map(describe);
    },
    async get(id) {
      const all = await scan();
      await release(all);
      const message = all.find((m) => selects({ ids: [id] }, describe(m)));
      return message && { ...describe(message), envelope: Buffer.from(message.Body ?? '', 'base64') };
    },
    redrive(selection) {
      return withSelected(selection, async (message) => {
        const messageId = attributeOf(message, MESSAGE_ID_ATTRIBUTE);
        const attributes = { ...(messageId ? { [MESSAGE_ID_ATTRIBUTE]: { DataType: 'String', StringValue: messageId } } : {}), ...pointerAttributes(message) };
        await client
          .send(
            new SendMessageCommand({
              QueueUrl: options.queueUrl,
              MessageBody: message.Body ?? '',
              ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
              ...(fifo ? { MessageGroupId: options.messageGroupId ?? 'sealpost', MessageDeduplicationId: messageId ?? message.MessageId } : {}),
            }),
          )
          .catch(unavailable('SendMessage (redrive)'));
        await remove(message);
      });
    },
    purge(selection) {
      return withSelected(selection, async (message) => {
        await remove(message);
      });
    },
    async close() {
      if (!options.client) client.destroy();
    },
  };
}
