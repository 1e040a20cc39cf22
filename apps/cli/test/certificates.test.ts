import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createCertificateTrustStore, createLocalKeyUnwrapper, createOpener } from '@sealpost/envelope';
import { startKmsEmulator } from '@sealpost/kms-emulator';
import { openStore, toStoredMessage } from '@sealpost/store';
import { createOpensslPki, type OpensslPki } from '../../../packages/envelope/test/support/openssl-ca.ts';
import { run } from '../../../packages/envelope/test/support/tools.ts';

const CLI = resolve(import.meta.dirname, '../src/main.ts');
let dir: string;
let pki: OpensslPki;

function sealpost(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, env }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-cli-certs-'));
  pki = await createOpensslPki(dir);
  expect((await sealpost(['keygen', '--type', 'rsa-2048', '--out', 'receiver'])).code).toBe(0);
  const { keyPath } = await pki.key('sender', 'P-521');
  const leaf = await pki.issue('sender', { keyPath });
  await writeFile(join(dir, 'chain.pem'), (await readFile(leaf, 'utf8')) + pki.intermediatePem);
  await writeFile(join(dir, 'order.json'), '{"order":1}\n');
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sealpost seal --cert and open --trust-ca', () => {
  it('messages show names the certified sender, and messages verify re-checks the stored chain as of the message time', async () => {
    const sealed = await sealpost(['seal', '--sign-key', 'sender.key', '--cert', 'chain.pem', '--to', 'receiver.pub.pem', '--in', 'order.json', '--out', 'stored.enc', '--json']);
    const { id } = JSON.parse(sealed.stdout) as { id: string };
    const opener = createOpener({ keys: createLocalKeyUnwrapper(await readFile(join(dir, 'receiver.pem'), 'utf8')), trust: createCertificateTrustStore({ anchors: [pki.rootPem] }) });
    const store = openStore(`sqlite:${join(dir, 'messages.db')}`);
    await store.init();
    await store.put(toStoredMessage(await opener.open(await readFile(join(dir, 'stored.enc'))), new Date()));
    await store.close();

    const shown = await sealpost(['messages', 'show', id, '--store', 'sqlite:messages.db', '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, senderSubject: 'CN=sender, O=Sealpost Test', chain: [{ subject: 'CN=sender, O=Sealpost Test' }, { subject: 'O=Sealpost Test, CN=Test Intermediate' }] });
    const verified = await sealpost(['messages', 'verify', id, '--store', 'sqlite:messages.db', '--trust-ca', 'root.pem', '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ id, verified: true, senderSubject: 'CN=sender, O=Sealpost Test' });
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'other-root.key', '-out', 'other-root.pem', '-days', '30', '-subj', '/CN=Elsewhere', '-addext', 'basicConstraints=critical,CA:TRUE'], { cwd: dir });
    const untrusted = await sealpost(['messages', 'verify', id, '--store', 'sqlite:messages.db', '--trust-ca', 'other-root.pem', '--json']);
    expect(untrusted.code).toBe(1);
    expect(JSON.parse(untrusted.stderr).error).toMatchObject({ code: 'CERT_UNTRUSTED' });
  }, 240_000);

  it('send --cert puts envelopes carrying the chain on a transport, which a receiver trusting only the root accepts', async () => {
    const sent = await sealpost(['send', '--transport', 'spool:cert-spool', '--sign-key', 'sender.key', '--cert', 'chain.pem', '--to', 'receiver.pub.pem', 'order.json', '--json']);
    expect(sent.code).toBe(0);
    const [file, ...others] = await readdir(join(dir, 'cert-spool/incoming'));
    expect(others).toEqual([]);
    const opener = createOpener({ keys: createLocalKeyUnwrapper(await readFile(join(dir, 'receiver.pem'), 'utf8')), trust: createCertificateTrustStore({ anchors: [pki.rootPem] }) });
    const opened = await opener.open(await readFile(join(dir, 'cert-spool/incoming', file!)));
    expect(opened.manifest.sender.certificates).toHaveLength(2);
    expect(Buffer.from(opened.payload).toString()).toBe('{"order":1}\n');
    expect((await sealpost(['keygen', '--type', 'ec-p521', '--out', 'uncertified'])).code).toBe(0);
    const mismatched = await sealpost(['send', '--transport', 'spool:cert-spool', '--sign-key', 'uncertified.pem', '--cert', 'chain.pem', '--to', 'receiver.pub.pem', 'order.json', '--json']);
    expect(mismatched.code).toBe(2);
    expect(JSON.parse(mismatched.stderr).error.message).toMatch(/the certificate certifies key .*, not the signing key/);
    expect(await readdir(join(dir, 'cert-spool/incoming'))).toEqual([file]);
  }, 240_000);

  it('a receiver that trusts only the root opens the message and says who sent it; a CRL that revokes the leaf rejects it', async () => {
    const sealed = await sealpost(['seal', '--sign-key', 'sender.key', '--cert', 'chain.pem', '--to', 'receiver.pub.pem', '--in', 'order.json', '--out', 'order.enc', '--json']);
    expect(sealed.stderr).toBe('');
    expect(JSON.parse(sealed.stdout)).toMatchObject({ senderSubject: 'CN=sender, O=Sealpost Test' });

    const opened = await sealpost(['open', '--key', 'receiver.pem', '--trust-ca', 'root.pem', '--in', 'order.enc', '--out', 'out.json', '--json']);
    expect(opened.code).toBe(0);
    expect(JSON.parse(opened.stdout)).toMatchObject({ senderSubject: 'CN=sender, O=Sealpost Test', senderCertificate: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await readFile(join(dir, 'out.json'), 'utf8')).toBe('{"order":1}\n');

    const crl = await pki.revoke(join(dir, 'sender.pem'));
    const rejected = await sealpost(['open', '--key', 'receiver.pem', '--trust-ca', 'root.pem', '--crl', crl, '--in', 'order.enc', '--out', 'revoked.json', '--json']);
    expect(rejected.code).toBe(1);
    expect(JSON.parse(rejected.stderr).error).toMatchObject({ code: 'CERT_REVOKED', transient: false });
    await expect(readFile(join(dir, 'revoked.json'))).rejects.toThrow(/ENOENT/);
  }, 240_000);

  it('a CRL URL that cannot be fetched is a transient failure (exit 4), never a rejection', async () => {
    const result = await sealpost(['open', '--key', 'receiver.pem', '--trust-ca', 'root.pem', '--crl', 'http://127.0.0.1:9/none.crl', '--in', 'order.enc', '--out', 'unreached.json', '--json']);
    expect(result.code).toBe(4);
    expect(JSON.parse(result.stderr).error).toMatchObject({ code: 'CRL_UNAVAILABLE', transient: true });
  }, 240_000);

  it('sealpost ca: init, issue from an openssl CSR, revoke and crl make a CA a receiver trusts, then refuses the revoked leaf', async () => {
    expect((await sealpost(['ca', 'init', '--dir', 'devca', '--subject', 'CN=Dev CA, O=Sealpost Test'])).code).toBe(0);
    await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'dev-sender.key'], { cwd: dir });
    await run('openssl', ['req', '-new', '-key', 'dev-sender.key', '-subj', '/O=Sealpost Test/CN=dev-sender', '-out', 'dev-sender.csr'], { cwd: dir });
    expect((await sealpost(['ca', 'issue', '--dir', 'devca', '--csr', 'dev-sender.csr', '--out', 'dev-sender.pem', '--san', 'URI:urn:sealpost:dev-sender'])).code).toBe(0);
    await expect(run('openssl', ['verify', '-CAfile', 'devca/ca.pem', 'dev-sender.pem'], { cwd: dir })).resolves.toMatchObject({ stdout: 'dev-sender.pem: OK\n' });
    expect((await sealpost(['seal', '--sign-key', 'dev-sender.key', '--cert', 'dev-sender.pem', '--to', 'receiver.pub.pem', '--in', 'order.json', '--out', 'dev.enc'])).code).toBe(0);
    const opened = await sealpost(['open', '--key', 'receiver.pem', '--trust-ca', 'devca/ca.pem', '--require-san', 'URI:urn:sealpost:dev-sender', '--in', 'dev.enc', '--out', 'dev.json', '--json']);
    expect(JSON.parse(opened.stdout)).toMatchObject({ senderSubject: 'O=Sealpost Test, CN=dev-sender' });

    expect((await sealpost(['ca', 'revoke', '--dir', 'devca', '--cert', 'dev-sender.pem'])).code).toBe(0);
    expect((await sealpost(['ca', 'crl', '--dir', 'devca'])).code).toBe(0);
    const revoked = await sealpost(['open', '--key', 'receiver.pem', '--trust-ca', 'devca/ca.pem', '--crl', 'devca/crl.pem', '--in', 'dev.enc', '--out', 'dev-revoked.json', '--json']);
    expect(JSON.parse(revoked.stderr).error).toMatchObject({ code: 'CERT_REVOKED' });
    expect((await sealpost(['ca', 'init', '--dir', 'devca'])).code).toBe(2);
  }, 240_000);

  it('a KMS key: kms csr, then ca issue, then seal --sign-key kms: --cert, opened by a receiver trusting the CA', async () => {
    const emulator = await startKmsEmulator();
    try {
      const env = { ...process.env, AWS_ENDPOINT_URL_KMS: emulator.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
      const client = new KMSClient({ endpoint: emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY' }));
      client.destroy();
      expect((await sealpost(['kms', 'csr', '--key-id', KeyMetadata!.Arn!, '--subject', 'CN=kms-sender, O=Sealpost Test', '--out', 'kms.csr'], env)).code).toBe(0);
      if ((await sealpost(['ca', 'init', '--dir', 'kmsca'])).code !== 0) throw new Error('ca init failed');
      expect((await sealpost(['ca', 'issue', '--dir', 'kmsca', '--csr', 'kms.csr', '--out', 'kms.pem'])).code).toBe(0);
      const sealed = await sealpost(['seal', '--sign-key', `kms:${KeyMetadata!.Arn!}`, '--cert', 'kms.pem', '--to', 'receiver.pub.pem', '--in', 'order.json', '--out', 'kms.enc'], env);
      expect(sealed.stderr).toBe('');
      const opened = await sealpost(['open', '--key', 'receiver.pem', '--trust-ca', 'kmsca/ca.pem', '--in', 'kms.enc', '--out', 'kms.json', '--json']);
      expect(JSON.parse(opened.stdout)).toMatchObject({ sender: KeyMetadata!.Arn!, senderSubject: 'CN=kms-sender, O=Sealpost Test', algorithm: 'ECDSA_SHA_512' });
    } finally {
      await emulator.close();
    }
  }, 240_000);
});
