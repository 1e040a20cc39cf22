import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { startKmsEmulator, type KmsEmulator, type KmsEmulatorOptions } from '../src/index.ts';

/** Credentials the emulator accepts (it reads SigV4 for the region only). */
export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Starts one emulator for the test file and gives an SDK client for it (retries off unless asked). */
export function useEmulator(options: KmsEmulatorOptions = {}) {
  const clients: KMSClient[] = [];
  const context = {} as {
    emulator: KmsEmulator;
    client: KMSClient;
    /** Another client; `maxAttempts` undefined keeps the SDK's default retries. */
    clientWith: (maxAttempts?: number, region?: string) => KMSClient;
    /** Creates a key and returns its id, ARN and (asymmetric keys) public key from GetPublicKey. */
    key: (KeySpec: string, KeyUsage?: string, client?: KMSClient) => Promise<{ id: string; arn: string; publicKey?: KeyObject }>;
  };
  beforeAll(async () => {
    context.emulator = await startKmsEmulator(options);
    context.clientWith = (maxAttempts, region = 'us-east-1') => {
      const client = new KMSClient({ endpoint: context.emulator.url, region, credentials: CREDENTIALS, ...(maxAttempts ? { maxAttempts } : {}) });
      clients.push(client);
      return client;
    };
    context.client = context.clientWith(1);
    context.key = async (KeySpec, KeyUsage, client = context.client) => {
      const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: KeySpec as never, ...(KeyUsage ? { KeyUsage: KeyUsage as never } : {}) }));
      const id = KeyMetadata!.KeyId!;
      if (KeySpec === 'SYMMETRIC_DEFAULT') return { id, arn: KeyMetadata!.Arn! };
      const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: id }));
      return { id, arn: KeyMetadata!.Arn!, publicKey: createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' }) };
    };
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await context.emulator?.close();
  });
  return context;
}

/** The KMS exception name a promise rejects with; fails if it resolves. */
export async function kmsErrorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  throw new Error('expected a KMS error, but the call succeeded');
}
