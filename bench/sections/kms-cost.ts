import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { createKmsClient, createKmsKeyUnwrapper, createKmsKeyWrapper, createKmsSigner, createKmsTrustedSender } from '@sealpost/aws-kms';
import { createOpener, createSealer, createTrustStore } from '@sealpost/envelope';
import { startKmsEmulator } from '@sealpost/kms-emulator';
import type { Row } from '../lib/report.ts';

/** AWS's price for asymmetric KMS requests: $0.15 per 10,000. */
const DOLLARS_PER_REQUEST = 0.15 / 10_000;

/** Results the targets need. */
export interface KmsCostResults {
  readonly receiveCallsPerMessage: number;
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

/**
 * Section 5: KMS calls per message at steady state, counted by the KMS emulator, for Sealpost's
 * defaults (KMS signer, local wrap with the cached public key, data-key reuse, receiver cache,
 * local verify) next to the seeds' flow (Sign + Encrypt + Decrypt + Verify per message).
 */
export async function kmsCostSection(quick: boolean): Promise<{ rows: Row[]; results: KmsCostResults }> {
  const section = '5. KMS cost (calls counted by the KMS emulator)';
  const messages = quick ? 200 : 20_000;
  const emulator = await startKmsEmulator();
  const client = createKmsClient({ endpoint: emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  try {
    const signing = (await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.Arn!;
    const encryption = (await client.send(new CreateKeyCommand({ KeySpec: 'RSA_4096', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.Arn!;
    emulator.resetCalls();
    const sealer = createSealer({ signer: await createKmsSigner({ client, keyId: signing }), recipients: [await createKmsKeyWrapper({ client, keyId: encryption })], dataKeyReuse: true });
    const opener = createOpener({ keys: await createKmsKeyUnwrapper({ client, keyId: encryption }), trust: createTrustStore([await createKmsTrustedSender({ client, keyId: signing })]) });
    const startup = total(emulator.calls());
    emulator.resetCalls();
    const envelopes: Uint8Array[] = [];
    for (let i = 0; i < messages; i++) envelopes.push((await sealer.seal(Buffer.from(`{"i":${i}}`))).envelope);
    const sendCalls = emulator.calls();
    emulator.resetCalls();
    for (const envelope of envelopes) await opener.open(envelope);
    const receiveCalls = emulator.calls();
    const sendPerMessage = total(sendCalls) / messages;
    const receivePerMessage = total(receiveCalls) / messages;
    const perMillion = (callsPerMessage: number) => callsPerMessage * 1_000_000 * DOLLARS_PER_REQUEST;
    const one = (v: number) => ({ median: v, min: v, max: v, reps: 1 });
    const rows: Row[] = [
      { section, name: 'Sealpost: KMS calls at startup (sender and receiver)', value: one(startup), unit: 'calls', note: 'DescribeKey checks, GetPublicKey once' },
      { section, name: 'Sealpost: KMS calls per message sent', value: one(sendPerMessage), unit: 'calls/msg', note: JSON.stringify(sendCalls) },
      { section, name: 'Sealpost: KMS calls per message received', value: one(receivePerMessage), unit: 'calls/msg', note: JSON.stringify(receiveCalls) },
      { section, name: 'Sealpost: KMS cost per million messages', value: one(perMillion(sendPerMessage + receivePerMessage)), unit: 'USD', note: `$0.15 per 10,000 requests; ${messages} messages measured` },
      { section, name: "The seeds' flow: KMS calls per message", value: one(4), unit: 'calls/msg', note: 'Sign + Encrypt + Decrypt + Verify' },
      { section, name: "The seeds' flow: KMS cost per million messages", value: one(perMillion(4)), unit: 'USD', note: '' },
    ];
    return { rows, results: { receiveCallsPerMessage: receivePerMessage } };
  } finally {
    client.destroy();
    await emulator.close();
  }
}
