import { describe, expect, it } from 'vitest';
import { SUPPORTED_OPERATIONS } from '../src/index.ts';
import { useEmulator } from './support.ts';

const kms = useEmulator();

/** A KMS call without the SDK: unsigned, so the emulator falls back to its default region. */
function call(operation: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(kms.emulator.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('the KMS JSON 1.1 protocol', () => {
  it('answers errors as KMS does: HTTP 400, x-amzn-ErrorType, a JSON body with __type and message', async () => {
    const response = await call('DescribeKey', { KeyId: 'alias/nothing' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(response.headers.get('x-amzn-errortype')).toBe('NotFoundException');
    expect(await response.json()).toEqual({ __type: 'NotFoundException', message: 'Alias alias/nothing is not found.' });
  });

  it('takes binary fields and returns them as base64 in JSON', async () => {
    const created = (await (await call('CreateKey', {})).json()) as { KeyMetadata: { KeyId: string; Arn: string; CreationDate: number } };
    expect(created.KeyMetadata.Arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${created.KeyMetadata.KeyId}`);
    expect(typeof created.KeyMetadata.CreationDate).toBe('number');
    const encrypted = (await (await call('Encrypt', { KeyId: created.KeyMetadata.KeyId, Plaintext: Buffer.from('hi').toString('base64') })).json()) as { CiphertextBlob: string };
    const decrypted = (await (await call('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob })).json()) as { Plaintext: string };
    expect(Buffer.from(decrypted.Plaintext, 'base64').toString()).toBe('hi');
  });

  it('reads the region from the SigV4 credential scope without checking the signature', async () => {
    const authorization = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/ap-southeast-2/kms/aws4_request, SignedHeaders=host, Signature=00';
    const created = (await (await call('CreateKey', {}, { authorization })).json()) as { KeyMetadata: { Arn: string } };
    expect(created.KeyMetadata.Arn).toMatch(/^arn:aws:kms:ap-southeast-2:111122223333:key\//);
  });

  it('refuses malformed requests: unknown operations, non-JSON bodies, missing target', async () => {
    const unknown = await call('ReEncrypt', {});
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { __type: string }).__type).toBe('UnsupportedOperationException');
    expect(SUPPORTED_OPERATIONS).toContain('Sign');
    expect(((await (await call('DescribeKey', 'not json')).json()) as { __type: string }).__type).toBe('SerializationException');
    const noTarget = await fetch(kms.emulator.url, { method: 'POST', body: '{}' });
    expect(noTarget.status).toBe(400);
    expect(((await noTarget.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });
});
