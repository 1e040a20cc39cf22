import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleParts, certificateEntryName, parseBundle } from '../src/bundle/bundle.ts';
import {
  combineTrustStores,
  createCertificateTrustStore,
  createLocalKeyUnwrapper,
  createLocalKeyWrapper,
  createLocalSigner,
  createLocalTrustedSender,
  createOpener,
  createSealer,
  createStaticCrlSource,
  createTrustStore,
  describeCertificate,
  certificateDigests,
  encodeManifest,
  parseCertificateChain,
  type CertificateTrustOptions,
} from '../src/index.ts';
import { DEFAULT_LIMITS } from '../src/limits.ts';
import { envelopeAround } from './support/craft.ts';
import { keyPair } from './support/keys.ts';
import { createOpensslPki, type OpensslPki } from './support/openssl-ca.ts';
import { run } from './support/tools.ts';

let dir: string;
let pki: OpensslPki;
let otherPki: OpensslPki;
let receiverPem: string;
let receiverPublicPem: string;

/** A certified sender: its private key PEM and its chain (leaf, intermediate) as PEM text. */
async function sender(name: string, curve: 'P-256' | 'P-521' = 'P-256', options: Parameters<OpensslPki['issue']>[2] = {}, from: OpensslPki = pki) {
  const { keyPath } = await from.key(name, curve);
  const certPath = await from.issue(name, { keyPath }, options);
  return { keyPem: await readFile(keyPath, 'utf8'), certPath, chainPem: (await readFile(certPath, 'utf8')) + from.intermediatePem };
}

async function seal(who: { keyPem: string; chainPem: string }, clock?: () => number) {
  const sealer = createSealer({
    signer: createLocalSigner(who.keyPem),
    certificates: parseCertificateChain(who.chainPem),
    recipients: [createLocalKeyWrapper(receiverPublicPem)],
    ...(clock ? { clock } : {}),
  });
  return (await sealer.seal(Buffer.from('{"order":1}'), { name: 'order.json', contentType: 'application/json' })).envelope;
}

function receiver(options: Partial<CertificateTrustOptions> = {}, extra: { maxAgeMs?: number | null } = {}) {
  const trust = createCertificateTrustStore({ anchors: [pki.rootPem], ...options });
  return createOpener({ keys: createLocalKeyUnwrapper(receiverPem), trust, ...extra });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-pki-'));
  await run('mkdir', [join(dir, 'a'), join(dir, 'b'), join(dir, 'c')]);
  [pki, otherPki] = await Promise.all([createOpensslPki(join(dir, 'a')), createOpensslPki(join(dir, 'b'), { rootName: 'Other Root' })]);
  const rsa = await keyPair('rsa-2048');
  receiverPem = rsa.privateKeyPem;
  receiverPublicPem = rsa.publicKeyPem;
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a sender certified by a CA the receiver trusts', () => {
  it('is accepted with only the root trusted, for P-256 and P-521 keys, and the message carries who it is', async () => {
    const opener = receiver();
    for (const [name, curve] of [['orders-p256', 'P-256'], ['orders-p521', 'P-521']] as const) {
      const who = await sender(name, curve);
      const opened = await opener.open(await seal(who));
      expect(opened.payload.toString()).toBe('{"order":1}');
      expect(opened.manifest.sender.algorithm).toBe(curve === 'P-256' ? 'ECDSA_SHA_256' : 'ECDSA_SHA_512');
      expect(opened.certificates.map((c) => Buffer.from(c))).toEqual(parseCertificateChain(who.chainPem));
      expect(describeCertificate(opened.certificates[0]!).subject).toBe(`CN=${name}, O=Sealpost Test`);
    }
  });

  it('is accepted after rotating to a new key certified by the same CA, with the receiver unchanged', async () => {
    const opener = receiver();
    const before = await sender('rotating-1');
    const after = await sender('rotating-2');
    expect((await opener.open(await seal(before))).manifest.sender.keyId).not.toBe((await opener.open(await seal(after))).manifest.sender.keyId);
  });

  it('is accepted beside raw keys: combineTrustStores asks the key list first, then the anchors', async () => {
    const raw = await keyPair('ec-p384');
    const trust = combineTrustStores(createTrustStore([createLocalTrustedSender(raw.publicKeyPem)]), createCertificateTrustStore({ anchors: [pki.rootPem] }));
    const opener = createOpener({ keys: createLocalKeyUnwrapper(receiverPem), trust });
    await expect(opener.open(await seal(await sender('combined')))).resolves.toBeDefined();
    const plain = createSealer({ signer: createLocalSigner(raw.privateKeyPem), recipients: [createLocalKeyWrapper(receiverPublicPem)] });
    await expect(opener.open((await plain.seal(Buffer.from('x'))).envelope)).resolves.toBeDefined();
  });

  it('streams: openFile releases the payload and the bundle, whose certificate files openssl verify accepts', async () => {
    const who = await sender('streamed');
    const work = join(dir, 'c');
    await writeFile(join(work, 'message.enc'), await seal(who));
    const message = await receiver().openFile(join(work, 'message.enc'), { payloadPath: join(work, 'order.json'), bundlePath: join(work, 'bundle.tar') });
    expect(message.certificates).toHaveLength(2);
    await run('tar', ['-xf', 'bundle.tar'], { cwd: work });
    await writeFile(join(work, 'root.pem'), pki.rootPem);
    const { stdout } = await run('openssl', ['verify', '-CAfile', 'root.pem', '-untrusted', certificateEntryName(1), certificateEntryName(0)], { cwd: work });
    expect(stdout.trim()).toBe(`${certificateEntryName(0)}: OK`);
  });
});

describe('a sender certificate is rejected with its code', () => {
  it('CERT_EXPIRED: the leaf had expired when the message was created', async () => {
    const who = await sender('expired', 'P-256', { startDate: '20200101000000Z', endDate: '20210101000000Z' });
    await expect(receiver().open(await seal(who))).rejects.toMatchObject({ code: 'CERT_EXPIRED', transient: false });
  });

  it('CERT_NOT_YET_VALID: the leaf was not yet valid at the message creation time', async () => {
    const start = new Date(Date.now() + 2 * 86_400_000);
    const stamp = `${start.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
    const who = await sender('future', 'P-256', { startDate: stamp, endDate: '20991231000000Z' });
    await expect(receiver().open(await seal(who))).rejects.toMatchObject({ code: 'CERT_NOT_YET_VALID' });
  });

  it('CERT_UNTRUSTED: the chain leads to another root', async () => {
    const who = await sender('foreign', 'P-256', {}, otherPki);
    await expect(receiver().open(await seal(who))).rejects.toMatchObject({ code: 'CERT_UNTRUSTED' });
  });

  it('CERT_NOT_CA: the intermediate has no CA rights', async () => {
    await run('mkdir', [join(dir, 'not-ca')]);
    const notCa = await createOpensslPki(join(dir, 'not-ca'), { intermediateIsCa: false });
    const who = await sender('under-not-ca', 'P-256', {}, notCa);
    const opener = createOpener({ keys: createLocalKeyUnwrapper(receiverPem), trust: createCertificateTrustStore({ anchors: [notCa.rootPem] }) });
    await expect(opener.open(await seal(who))).rejects.toMatchObject({ code: 'CERT_NOT_CA' });
  });

  it('CERT_REVOKED: the leaf is revoked in the CRL the receiver holds', async () => {
    const who = await sender('revoked');
    const before = await seal(who);
    const crlPath = await pki.revoke(who.certPath);
    const crls = [createStaticCrlSource([await readFile(crlPath, 'utf8')])];
    await expect(receiver({ crls }).open(before)).rejects.toMatchObject({ code: 'CERT_REVOKED', transient: false });
    await expect(receiver({ crls }).open(await seal(await sender('not-revoked')))).resolves.toBeDefined();
  });

  it('CERT_USAGE: the leaf does not allow digitalSignature', async () => {
    const who = await sender('key-agreement-only', 'P-256', { keyUsage: 'critical,keyAgreement' });
    await expect(receiver().open(await seal(who))).rejects.toMatchObject({ code: 'CERT_USAGE' });
  });

  it('CERT_KEY_MISMATCH: the certificate is for another key than the one that signed', async () => {
    const signerOnly = await pki.key('unlisted');
    const other = await sender('someone-else');
    // The sealer refuses this chain for this key, so the test builds the bundle itself.
    const honest = await seal(await sender('honest'));
    const opened = await receiver().open(honest);
    const signer = createLocalSigner(await readFile(signerOnly.keyPath, 'utf8'));
    const chain = parseCertificateChain(other.chainPem);
    const manifest = { ...opened.manifest, sender: { keyId: signer.keyId, algorithm: signer.algorithm, certificates: certificateDigests(chain) } };
    const manifestBytes = encodeManifest(manifest);
    const signature = await signer.sign(manifestBytes);
    const bundle = Buffer.concat(bundleParts({ payloadName: 'order.json', payload: opened.payload, manifest: manifestBytes, signature, certificates: chain }, 0));
    const envelope = await envelopeAround(bundle, [createLocalKeyWrapper(receiverPublicPem)]);
    await expect(receiver().open(envelope)).rejects.toMatchObject({ code: 'CERT_KEY_MISMATCH' });
  });

  it('CERT_CHAIN_MISMATCH: a certificate swapped after signing', async () => {
    const who = await sender('swapped');
    const impostor = await sender('impostor');
    const opener = receiver();
    const original = await opener.open(await seal(who));
    const swapped = [parseCertificateChain(impostor.chainPem)[0]!, original.certificates[1]!];
    const bundle = Buffer.concat(bundleParts({ payloadName: 'order.json', payload: original.payload, manifest: original.manifestBytes, signature: original.signature, certificates: swapped }, 0));
    await expect(opener.open(await envelopeAround(bundle, [createLocalKeyWrapper(receiverPublicPem)]))).rejects.toMatchObject({ code: 'CERT_CHAIN_MISMATCH' });
    const dropped = Buffer.concat(bundleParts({ payloadName: 'order.json', payload: original.payload, manifest: original.manifestBytes, signature: original.signature }, 0));
    await expect(opener.open(await envelopeAround(dropped, [createLocalKeyWrapper(receiverPublicPem)]))).rejects.toMatchObject({ code: 'CERT_CHAIN_MISMATCH' });
  });

  it('CERT_NOT_PERMITTED: the leaf lacks the subject alternative name the receiver requires', async () => {
    const named = await sender('named', 'P-256', { extensions: ['subjectAltName = URI:urn:sealpost:orders'] });
    const unnamed = await sender('unnamed');
    const opener = receiver({ constraints: { subjectAltName: 'URI:urn:sealpost:orders' } });
    await expect(opener.open(await seal(named))).resolves.toBeDefined();
    await expect(opener.open(await seal(unnamed))).rejects.toMatchObject({ code: 'CERT_NOT_PERMITTED' });
  });

  it('UNTRUSTED_SENDER: a message without certificates, for a receiver that trusts only anchors', async () => {
    const raw = await keyPair('ec-p256');
    const plain = createSealer({ signer: createLocalSigner(raw.privateKeyPem), recipients: [createLocalKeyWrapper(receiverPublicPem)] });
    await expect(receiver().open((await plain.seal(Buffer.from('x'))).envelope)).rejects.toMatchObject({ code: 'UNTRUSTED_SENDER' });
  });
});

describe('the certificate entries of a bundle', () => {
  it('follow manifest.sig as cert-0.der (the leaf), cert-1.der, ... and parse back', async () => {
    const chain = parseCertificateChain((await sender('entries')).chainPem);
    const bundle = Buffer.concat(bundleParts({ payloadName: 'p', payload: Buffer.from('x'), manifest: Buffer.from([0xa0]), signature: Buffer.from([1]), certificates: chain }, 0));
    await writeFile(join(dir, 'entries.tar'), bundle);
    const { stdout } = await run('tar', ['-tf', join(dir, 'entries.tar')]);
    expect(stdout.trim().split('\n')).toEqual(['p', 'manifest.cbor', 'manifest.sig', 'cert-0.der', 'cert-1.der']);
    expect(parseBundle(bundle, DEFAULT_LIMITS).certificates).toEqual(chain);
  });

  it('a sealer refuses a chain whose leaf certifies another local key', async () => {
    const raw = await keyPair('ec-p256');
    const chain = parseCertificateChain((await sender('not-mine')).chainPem);
    expect(() => createSealer({ signer: createLocalSigner(raw.privateKeyPem), certificates: chain, recipients: [createLocalKeyWrapper(receiverPublicPem)] })).toThrow(/certifies key/);
  });
});
