import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateAliasCommand, CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createKmsClient, createKmsKeyWrapper, createKmsSigner } from '@sealpost/aws-kms';
import { createLocalSigner, createSealer, generateLocalKeyPair, type Sealer } from '@sealpost/envelope';
import { startKmsEmulator, type KmsEmulator } from '@sealpost/kms-emulator';
import { createDynamoDbStore } from '@sealpost/store';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import dynalite from 'dynalite';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ENV } from './support/receiver.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const MINUTE = 60_000;

let work: string;
let kms: KmsEmulator;
let kmsClient: KMSClient;
let dynamo: ReturnType<typeof dynalite>;
let dynamoUrl: string;
let trusted: Sealer;
let stranger: Sealer;

async function createKey(KeySpec: 'ECC_NIST_P256' | 'RSA_2048', KeyUsage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT', alias: string): Promise<string> {
  const { KeyMetadata } = await kmsClient.send(new CreateKeyCommand({ KeySpec, KeyUsage }));
  await kmsClient.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata!.KeyId! }));
  return KeyMetadata!.KeyId!;
}

function record(body: string): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:inbox',
    awsRegion: 'us-east-1',
  };
}

const sealed = async (sealer: Sealer, text: string) => Buffer.from((await sealer.seal(Buffer.from(text), { name: `${text}.txt` })).envelope).toString('base64');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sealpost-lambda-artifact-'));
  kms = await startKmsEmulator();
  kmsClient = createKmsClient({ endpoint: kms.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((done) => dynamo.listen(0, '127.0.0.1', done));
  dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  const senderKey = await createKey('ECC_NIST_P256', 'SIGN_VERIFY', 'alias/lambda-sender');
  const receiverKey = await createKey('RSA_2048', 'ENCRYPT_DECRYPT', 'alias/lambda-receiver');
  const recipients = [await createKmsKeyWrapper({ client: kmsClient, keyId: receiverKey })];
  trusted = createSealer({ signer: await createKmsSigner({ client: kmsClient, keyId: senderKey }), recipients });
  stranger = createSealer({ signer: createLocalSigner((await generateLocalKeyPair('ec-p256')).privateKeyPem), recipients });
}, 5 * MINUTE);

afterAll(async () => {
  kmsClient?.destroy();
  await kms?.close();
  await new Promise((done) => dynamo?.close(done));
  await rm(work, { recursive: true, force: true });
});

describe('the Lambda artifact', () => {
  it('unzipped alone and loaded by plain Node, stores the good records of an SQS event in DynamoDB and reports the bad ones as batchItemFailures', async () => {
    const zipFile = join(work, 'function.zip');
    await run(process.execPath, [join(ROOT, 'scripts/build-lambda.ts'), zipFile], { cwd: ROOT, timeout: 5 * MINUTE });

    // What Lambda does with the zip: unpack it into an empty directory, outside this repository.
    const task = join(work, 'task');
    for (const [name, bytes] of Object.entries(unzipSync(await readFile(zipFile)))) {
      await mkdir(dirname(join(task, name)), { recursive: true });
      await writeFile(join(task, name), bytes);
    }
    expect(Object.keys(unzipSync(await readFile(zipFile)))).toEqual(['index.mjs']);

    const good = [record(await sealed(trusted, 'one')), record(await sealed(trusted, 'two'))];
    const bad = [record(await sealed(stranger, 'forged')), record('not an envelope')];
    const event: SQSEvent = { Records: [good[0]!, bad[0]!, good[1]!, bad[1]!] };
    await writeFile(join(work, 'event.json'), JSON.stringify(event));
    // The Lambda runtime's part: import the handler by its name (index.handler), call it with the event.
    await writeFile(
      join(work, 'invoke.mjs'),
      `import { readFileSync } from 'node:fs';
const { handler } = await import(${JSON.stringify(join(task, 'index.mjs'))});
const response = await handler(JSON.parse(readFileSync(process.argv[2], 'utf8')));
process.stdout.write(JSON.stringify(response));
process.exit(0);
`,
    );
    const table = `messages-${randomUUID()}`;
    const { stdout } = await run(process.execPath, [join(work, 'invoke.mjs'), join(work, 'event.json')], {
      cwd: task,
      timeout: 5 * MINUTE,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        ...AWS_ENV,
        AWS_ENDPOINT_URL_KMS: kms.url,
        AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
        SEALPOST_KEYS: 'kms:alias/lambda-receiver',
        SEALPOST_TRUST: 'kms:alias/lambda-sender',
        SEALPOST_STORE: `dynamodb://${table}`,
        SEALPOST_LOG_LEVEL: 'error',
      },
    });
    const response = JSON.parse(stdout) as { batchItemFailures: { itemIdentifier: string }[] };
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(bad.map((r) => r.messageId).sort());

    const client = new DynamoDBClient({ endpoint: dynamoUrl, ...{ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } });
    try {
      const stored = await createDynamoDbStore({ table, client }).list();
      expect(stored.map((m) => m.payloadName).sort()).toEqual(['one.txt', 'two.txt']);
    } finally {
      client.destroy();
    }
  }, 15 * MINUTE);
});
