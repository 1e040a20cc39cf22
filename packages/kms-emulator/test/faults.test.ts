import { CreateKeyCommand, DescribeKeyCommand, KMSClient, type KMSServiceException } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { startKmsEmulator } from '../src/index.ts';
import { CREDENTIALS, kmsErrorOf, useEmulator } from './support.ts';

const kms = useEmulator();

async function errorOf(promise: Promise<unknown>): Promise<KMSServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as KMSServiceException;
  }
  throw new Error('expected a KMS error, but the call succeeded');
}

describe('call counters', () => {
  it('count calls per operation, failed ones included, through the API and over HTTP, and reset', async () => {
    kms.emulator.resetCalls();
    const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({}));
    await kms.client.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }));
    expect(await kmsErrorOf(kms.client.send(new DescribeKeyCommand({ KeyId: 'alias/none' })))).toBe('NotFoundException');
    expect(kms.emulator.calls()).toEqual({ CreateKey: 1, DescribeKey: 2 });
    expect(await (await fetch(`${kms.emulator.url}/__emulator/calls`)).json()).toEqual({ CreateKey: 1, DescribeKey: 2 });
    expect((await fetch(`${kms.emulator.url}/__emulator/reset-calls`, { method: 'POST' })).status).toBe(200);
    expect(kms.emulator.calls()).toEqual({});
  });
});

describe('fault injection', () => {
  it('throttles every Nth call with ThrottlingException (HTTP 400) when SDK retries are off', async () => {
    const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({}));
    kms.emulator.setFaults({ throttleEvery: 2 });
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 6; i++) {
        outcomes.push(await kms.client.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId })).then(() => 'ok', (error: Error) => error.name));
      }
      expect(outcomes).toEqual(['ok', 'ThrottlingException', 'ok', 'ThrottlingException', 'ok', 'ThrottlingException']);
      kms.emulator.setFaults({ throttleRate: 1 });
      const error = await errorOf(kms.client.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId })));
      expect(error.name).toBe('ThrottlingException');
      expect(error.$metadata.httpStatusCode).toBe(400);
    } finally {
      kms.emulator.setFaults({});
    }
  });

  it('with the SDK default retries, throttled calls eventually succeed, and every attempt is counted', async () => {
    const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({}));
    const retrying = kms.clientWith();
    kms.emulator.setFaults({ throttleEvery: 2 });
    kms.emulator.resetCalls();
    try {
      for (let i = 0; i < 4; i++) expect((await retrying.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }))).KeyMetadata!.KeyId).toBe(KeyMetadata!.KeyId);
      // Calls 2, 4, 6 are throttled and retried: 4 successes cost 7 calls.
      expect(kms.emulator.calls()).toEqual({ DescribeKey: 7 });
    } finally {
      kms.emulator.setFaults({});
    }
  });

  it('injects HTTP 500 KMSInternalException, limited to chosen operations, set over HTTP', async () => {
    const { KeyMetadata } = await kms.client.send(new CreateKeyCommand({}));
    const set = await fetch(`${kms.emulator.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ failureRate: 1, operations: ['DescribeKey'] }) });
    expect(await set.json()).toMatchObject({ failureRate: 1, operations: ['DescribeKey'] });
    try {
      expect(await (await fetch(`${kms.emulator.url}/__emulator/faults`)).json()).toMatchObject({ failureRate: 1, throttleRate: 0 });
      const error = await errorOf(kms.client.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId })));
      expect(error.name).toBe('KMSInternalException');
      expect(error.$metadata.httpStatusCode).toBe(500);
      expect((await kms.client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyState).toBe('Enabled');
    } finally {
      await fetch(`${kms.emulator.url}/__emulator/faults`, { method: 'POST', body: '{}' });
    }
    expect((await kms.client.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }))).KeyMetadata!.KeyId).toBe(KeyMetadata!.KeyId);
  });

  it('validates fault settings, in the API and over HTTP, naming the allowed range', async () => {
    expect(() => kms.emulator.setFaults({ throttleRate: 2 })).toThrow('throttleRate must be between 0 and 1, got 2');
    expect(() => kms.emulator.setFaults({ throttleEvery: 1.5 })).toThrow('throttleEvery must be an integer between 0 and 1000000');
    expect(() => kms.emulator.setFaults({ latencyMs: -1 })).toThrow('latencyMs must be between 0 and 60000');
    const response = await fetch(`${kms.emulator.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ failureRate: 'often' }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: 'failureRate must be between 0 and 1, got often' });
    await expect(startKmsEmulator({ port: 70000 })).rejects.toThrow('port must be an integer between 0 and 65535');
    await expect(startKmsEmulator({ throttleRate: -1 })).rejects.toThrow('throttleRate must be between 0 and 1');
  });

  it('faults given at start apply from the first call, to the chosen operations only', async () => {
    const emulator = await startKmsEmulator({ throttleEvery: 1, operations: ['CreateKey'], latencyMs: 20 });
    const client = new KMSClient({ endpoint: emulator.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    try {
      expect(await kmsErrorOf(client.send(new CreateKeyCommand({})))).toBe('ThrottlingException');
      expect(await kmsErrorOf(client.send(new DescribeKeyCommand({ KeyId: 'alias/x' })))).toBe('NotFoundException');
      expect(emulator.calls()).toEqual({ CreateKey: 1, DescribeKey: 1 });
    } finally {
      client.destroy();
      await emulator.close();
    }
  });
});
