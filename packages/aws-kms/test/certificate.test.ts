import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateTrustStore, createLocalKeyUnwrapper, createLocalKeyWrapper, createOpener, createSealer, generateLocalKeyPair, parseCertificateChain } from '@sealpost/envelope';
import { createCsr, createKmsSigner } from '../src/index.ts';
import { createOpensslPki, type OpensslPki } from '../../envelope/test/support/openssl-ca.ts';
import { useKms } from './support.ts';

const kms = useKms();
let dir: string;
let pki: OpensslPki;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-kms-cert-'));
  pki = await createOpensslPki(dir);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a KMS signing key certified from its CSR', () => {
  it('kms csr -> openssl ca -> seal with the KMS key and the chain -> a receiver trusting only the root opens it with no KMS call', async () => {
    const key = await kms.createKey('ECC_NIST_P521', 'SIGN_VERIFY');
    await writeFile(join(dir, 'kms.csr'), await createCsr({ client: kms.client, keyId: key.id, subject: 'CN=orders-kms, O=Sealpost Test' }));
    const leaf = await pki.issue('orders-kms', { csrPath: join(dir, 'kms.csr') });
    const certificates = parseCertificateChain((await readFile(leaf, 'utf8')) + pki.intermediatePem);

    const receiver = await generateLocalKeyPair('rsa-2048');
    const sealer = createSealer({ signer: await createKmsSigner({ client: kms.client, keyId: key.id }), certificates, recipients: [createLocalKeyWrapper(receiver.publicKeyPem)] });
    const { envelope } = await sealer.seal(Buffer.from('{"order":7}'), { name: 'order.json', contentType: 'application/json' });

    kms.emulator.resetCalls();
    const opener = createOpener({ keys: createLocalKeyUnwrapper(receiver.privateKeyPem), trust: createCertificateTrustStore({ anchors: [pki.rootPem] }) });
    const opened = await opener.open(envelope);
    expect(opened.manifest.sender).toMatchObject({ keyId: key.arn, algorithm: 'ECDSA_SHA_512' });
    expect(opened.payload.toString()).toBe('{"order":7}');
    expect(kms.emulator.calls()).toEqual({});
  }, 120_000);

  it('a chain certifying another key than the KMS key that signed is refused: the signature does not verify with the leaf key', async () => {
    const signing = await kms.createKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const other = await pki.key('other-p256');
    const leaf = await pki.issue('other-p256', { keyPath: other.keyPath });
    const certificates = parseCertificateChain((await readFile(leaf, 'utf8')) + pki.intermediatePem);
    const receiver = await generateLocalKeyPair('rsa-2048');
    const sealer = createSealer({ signer: await createKmsSigner({ client: kms.client, keyId: signing.id }), certificates, recipients: [createLocalKeyWrapper(receiver.publicKeyPem)] });
    const { envelope } = await sealer.seal(Buffer.from('x'));
    const opener = createOpener({ keys: createLocalKeyUnwrapper(receiver.privateKeyPem), trust: createCertificateTrustStore({ anchors: [pki.rootPem] }) });
    await expect(opener.open(envelope)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
  }, 120_000);
});
