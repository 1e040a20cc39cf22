import { CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { startKmsEmulator, type KmsEmulator } from '@sealpost/kms-emulator';
import { afterAll, beforeAll } from 'vitest';
import { createKmsClient } from '../src/index.ts';

/** One emulator per test file, with a Sealpost KMS client (retries as configured) pointed at it. */
export function useKms(maxAttempts = 6) {
  const context = {} as { emulator: KmsEmulator; client: KMSClient; createKey: (spec: string, usage: string) => Promise<{ id: string; arn: string }> };
  beforeAll(async () => {
    context.emulator = await startKmsEmulator();
    context.client = createKmsClient({ endpoint: context.emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts });
    context.createKey = async (KeySpec, KeyUsage) => {
      const { KeyMetadata } = await context.client.send(new CreateKeyCommand({ KeySpec: KeySpec as never, KeyUsage: KeyUsage as never }));
      return { id: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
    };
  });
  afterAll(async () => {
    context.client?.destroy();
    await context.emulator?.close();
  });
  return context;
}
