import { CreateAliasCommand, CreateKeyCommand, KMSClient, type KeySpec, type KeyUsageType } from '@aws-sdk/client-kms';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

const EMULATOR = resolve(import.meta.dirname, '../../packages/kms-emulator/src/cli.ts');

/** The KMS emulator as a user runs it, in its own process, and what a test needs to use it. */
export interface KmsProcess {
  readonly url: string;
  /** The caller's environment plus the endpoint, region and dummy credentials @aws-sdk reads. */
  readonly env: NodeJS.ProcessEnv;
  readonly client: KMSClient;
  /** Creates a key (and an alias to it) and resolves its ARN. */
  createKey(keySpec: string, keyUsage: string, alias?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `sealpost-kms-emulator --port 0` and waits for the port it picked. */
export async function startKmsProcess(region = 'eu-north-1'): Promise<KmsProcess> {
  const child = spawn(process.execPath, [EMULATOR, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line.toString())![1]!;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const client = new KMSClient({ endpoint: url, region, credentials });
  return {
    url,
    env: { ...process.env, AWS_ENDPOINT_URL_KMS: url, AWS_REGION: region, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    client,
    async createKey(keySpec, keyUsage, alias) {
      const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: keySpec as KeySpec, KeyUsage: keyUsage as KeyUsageType }));
      if (alias) await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata!.KeyId }));
      return KeyMetadata!.Arn!;
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}
