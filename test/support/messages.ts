import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createLocalKeyWrapper, createLocalSigner } from '@sealpost/envelope';
import { createSender } from '@sealpost/sender';
import { openTransport } from '@sealpost/transport';
import { REDIS_URL } from './servers.ts';

/**
 * Seals and sends `count` small JSON messages with `sendMany`, signed by `keysDir/sender.pem`
 * for `keysDir/receiver.pub.pem`; returns their message ids.
 */
export async function sendMessages(keysDir: string, transport: string, count: number): Promise<string[]> {
  const pem = (name: string) => readFile(join(keysDir, name), 'utf8');
  const sender = createSender({ signer: createLocalSigner(await pem('sender.pem')), recipients: [createLocalKeyWrapper(await pem('receiver.pub.pem'))], transport: openTransport(transport).sender });
  try {
    const results = await sender.sendMany(Array.from({ length: count }, (_, i) => ({ payload: Buffer.from(JSON.stringify({ i })), name: `m${i}.json` })));
    return results.map((r) => {
      if ('error' in r) throw r.error;
      return r.id;
    });
  } finally {
    await sender.close();
  }
}

/** Deletes every Redis key under a test's BullMQ prefix. */
export async function removeBullmqKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
