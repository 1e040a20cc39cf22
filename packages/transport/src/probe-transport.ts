import { access, constants, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { SealpostError } from '@sealpost/envelope';
import { Redis } from 'ioredis';
import { parseTransportUrl } from './open-transport.ts';
import { clientFor } from './sqs.ts';

const unavailable = (what: string) => (cause: unknown): never => {
  throw new SealpostError('TRANSPORT_UNAVAILABLE', `${what}: ${(cause as Error).message}`, { cause });
};

/**
 * Checks that the transport a URL names can be reached, without sending or taking a message:
 * the spool's directories exist (created if missing) and are writable; Redis answers PING; the
 * SQS queue and its dead-letter queue answer GetQueueAttributes. Rejects with
 * TRANSPORT_UNAVAILABLE (or CONFIG_INVALID for a URL that names no transport).
 */
export async function probeTransport(url: string): Promise<void> {
  const target = parseTransportUrl(url);
  if (target.kind === 'spool') {
    for (const sub of ['tmp', 'incoming', 'processing', 'dead']) {
      const dir = join(target.directory, sub);
      await mkdir(dir, { recursive: true }).then(() => access(dir, constants.W_OK)).catch(unavailable(`spool ${dir}`));
    }
    return;
  }
  if (target.kind === 'bullmq') {
    const redisUrl = new URL(target.options.redisUrl ?? 'redis://127.0.0.1:6379');
    // One attempt, no reconnection: a probe reports, it does not wait for Redis to come back.
    const redis = new Redis(redisUrl.toString(), { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    let refusal: unknown;
    redis.on('error', (error) => (refusal ??= error));
    const fail = (cause: unknown) => unavailable(`BullMQ Redis ${redisUrl.host}`)(refusal ?? cause);
    try {
      await redis.connect().catch(fail);
      await redis.ping().catch(fail);
    } finally {
      redis.disconnect();
    }
    return;
  }
  const client = clientFor(target.options.queueUrl);
  try {
    for (const queueUrl of [target.options.queueUrl, target.options.deadLetterQueueUrl].filter((u): u is string => Boolean(u))) {
      await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })).catch(unavailable(`SQS queue ${queueUrl}`));
    }
  } finally {
    client.destroy();
  }
}
