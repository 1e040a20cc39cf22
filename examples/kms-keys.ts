/**
 * The AWS blog flow with keys in KMS — a P-521 signing key and an RSA-4096 encryption key —
 * against the KMS emulator, or a real account when AWS_REGION and credentials are set and
 * SEALPOST_EXAMPLE_REAL_KMS=1.
 *   node examples/kms-keys.ts
 */
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { createKmsClient, createKmsKeyUnwrapper, createKmsKeyWrapper, createKmsSigner, createKmsTrustedSender } from '@sealpost/aws-kms';
import { createOpener, createSealer, createTrustStore } from '@sealpost/envelope';
import { startKmsEmulator } from '@sealpost/kms-emulator';

const emulator = process.env.SEALPOST_EXAMPLE_REAL_KMS === '1' ? undefined : await startKmsEmulator();
const client = createKmsClient(emulator ? { endpoint: emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } : {});
try {
  const signing = (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.Arn!;
  const encryption = (await client.send(new CreateKeyCommand({ KeySpec: 'RSA_4096', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.Arn!;
  const sealer = createSealer({
    signer: await createKmsSigner({ client, keyId: signing }),
    recipients: [await createKmsKeyWrapper({ client, keyId: encryption })],
    dataKeyReuse: true,
  });
  const opener = createOpener({
    keys: await createKmsKeyUnwrapper({ client, keyId: encryption }),
    trust: createTrustStore([await createKmsTrustedSender({ client, keyId: signing })]),
  });
  for (let i = 0; i < 3; i++) {
    const { envelope } = await sealer.seal(Buffer.from(`message ${i}`));
    const opened = await opener.open(envelope);
    console.log(`${Buffer.from(opened.payload).toString()}: signed by ${opened.manifest.sender.keyId} (${opened.manifest.sender.algorithm})`);
  }
  if (emulator) console.log(`KMS calls: ${JSON.stringify(emulator.calls())}`);
} finally {
  client.destroy();
  await emulator?.close();
}
