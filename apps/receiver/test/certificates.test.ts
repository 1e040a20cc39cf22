import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKeyWrapper, createLocalSigner, createSealer, generateLocalKeyPair, parseCertificateChain } from '@sealpost/envelope';
import { createSqliteStore } from '@sealpost/store';
import { createSpoolTransport } from '@sealpost/transport';
import { createOpensslPki, type OpensslPki } from '../../../packages/envelope/test/support/openssl-ca.ts';
import { loadReceiverConfig, startReceiverFromConfig } from '../src/index.ts';

let dir: string;
let pki: OpensslPki;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-receiver-certs-'));
  pki = await createOpensslPki(dir);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function certifiedSealer(name: string, receiverPublicPem: string) {
  const { keyPath } = await pki.key(name);
  const certPath = await pki.issue(name, { keyPath });
  const sealer = createSealer({
    signer: createLocalSigner(await readFile(keyPath, 'utf8')),
    certificates: parseCertificateChain((await readFile(certPath, 'utf8')) + pki.intermediatePem),
    recipients: [createLocalKeyWrapper(receiverPublicPem)],
  });
  return { sealer, certPath };
}

describe('the receiver with SEALPOST_TRUST_CA and SEALPOST_CRL', () => {
  it('stores a certified sender with its identity, and dead-letters a revoked one with CERT_REVOKED', async () => {
    const receiverKey = await generateLocalKeyPair('rsa-2048');
    await writeFile(join(dir, 'receiver.pem'), receiverKey.privateKeyPem);
    await writeFile(join(dir, 'root.pem'), pki.rootPem);
    const good = await certifiedSealer('worker-good', receiverKey.publicKeyPem);
    const bad = await certifiedSealer('worker-revoked', receiverKey.publicKeyPem);
    const crl = await pki.revoke(bad.certPath);
    const spool = join(dir, 'spool');
    const config = await loadReceiverConfig({
      env: {
        SEALPOST_KEYS: join(dir, 'receiver.pem'),
        SEALPOST_TRUST_CA: join(dir, 'root.pem'),
        SEALPOST_CRL: crl,
        SEALPOST_TRANSPORT: `spool:${spool}`,
        SEALPOST_STORE: `sqlite:${join(dir, 'messages.db')}`,
        SEALPOST_METRICS_PORT: 'off',
      },
    });
    const receiver = await startReceiverFromConfig(config, pino({ level: 'silent' }));
    try {
      const { sender } = createSpoolTransport(spool);
      const accepted = await good.sealer.seal(Buffer.from('{"ok":true}'));
      await sender.send(accepted.envelope);
      await sender.send((await bad.sealer.seal(Buffer.from('{"ok":false}'))).envelope);
      const deadDir = join(spool, 'dead');
      let reasons: string[] = [];
      for (let i = 0; i < 600 && reasons.length === 0; i++) {
        reasons = (await readdir(deadDir).catch(() => [] as string[])).filter((f) => f.endsWith('.reason.json'));
        if (reasons.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(reasons).toHaveLength(1);
      expect(JSON.parse(await readFile(join(deadDir, reasons[0]!), 'utf8'))).toMatchObject({ code: 'CERT_REVOKED' });
      const store = createSqliteStore(join(dir, 'messages.db'));
      await store.init();
      let stored;
      for (let i = 0; i < 600 && !stored; i++) {
        stored = await store.get(accepted.id);
        if (!stored) await new Promise((r) => setTimeout(r, 100));
      }
      await store.close();
      expect(stored).toMatchObject({ senderSubject: 'CN=worker-good, O=Sealpost Test', senderCertificate: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(stored!.certificates).toHaveLength(2);
    } finally {
      await receiver.stop();
    }
  }, 240_000);
});
