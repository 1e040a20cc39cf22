import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bundleHead, bundleParts, bundleTail } from '../src/bundle/bundle.ts';
import cbor from 'cbor';
import { decodeCanonical, encodeCanonical } from '../src/cbor.ts';
import { encodeManifest } from '../src/manifest.ts';
import { parseBundle } from '../src/bundle/bundle.ts';
import {
  createLocalKeyUnwrapper,
  createLocalKeyWrapper,
  createLocalSigner,
  createLocalTrustedSender,
  createOpener,
  createSealer,
  createTrustStore,
  uuidv7,
  type Manifest,
  type Signer,
} from '../src/index.ts';
import { codeOf, keyPair, parties } from './support/keys.ts';
import { envelopeAround } from './support/craft.ts';

async function setup() {
  const sender = await keyPair('ec-p256');
  const receiver = await keyPair('rsa-2048');
  const signer = createLocalSigner(sender.privateKeyPem);
  const wrapper = createLocalKeyWrapper(receiver.publicKeyPem);
  const opener = createOpener({ keys: createLocalKeyUnwrapper(receiver.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]) });
  const manifestFor = (payload: Uint8Array, overrides: Partial<Manifest> = {}): Manifest => ({
    id: uuidv7(),
    created: new Date(),
    sender: { keyId: signer.keyId, algorithm: signer.algorithm },
    recipients: [wrapper.keyId],
    payload: { name: 'p.txt', contentType: 'text/plain', size: payload.length, sha256: createHash('sha256').update(payload).digest() },
    metadata: {},
    ...overrides,
  });
  /** A validly signed, validly encrypted envelope around the given manifest bytes and payload. */
  const envelopeWith = async (manifestBytes: Uint8Array, payload: Uint8Array, name = 'p.txt', sign: Signer = signer) => {
    const signature = await sign.sign(manifestBytes);
    return envelopeAround(Buffer.concat(bundleParts({ payloadName: name, payload, manifest: manifestBytes, signature }, 0)), [wrapper]);
  };
  return { sender, receiver, signer, wrapper, opener, manifestFor, envelopeWith };
}

describe('open checks, each failing on its own', () => {
  it('NOT_A_RECIPIENT when no header entry names one of our keys', async () => {
    const { sealer } = await parties('ec-p256', ['rsa-2048']);
    const other = await keyPair('rsa-2048', 7);
    const opener = createOpener({ keys: createLocalKeyUnwrapper(other.privateKeyPem), trust: createTrustStore([]) });
    expect(await codeOf(opener.open((await sealer.seal(Buffer.from('x'))).envelope))).toBe('NOT_A_RECIPIENT');
  });

  it('UNWRAP_FAILED when the entry for our key holds a key we cannot decrypt', async () => {
    const { wrapper, opener } = await setup();
    const impostor = { keyId: wrapper.keyId, algorithm: wrapper.algorithm, wrap: async () => randomBytes(256) };
    expect(await codeOf(opener.open(await envelopeAround(Buffer.alloc(2048), [impostor])))).toBe('UNWRAP_FAILED');
  });

  it('KEY_COMMITMENT_MISMATCH when the header commitment is not the data key\'s', async () => {
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048']);
    const { envelope } = await sealer.seal(Buffer.from('x'));
    const at = envelope.indexOf(Buffer.from('commitment')) + 'commitment'.length + 2;
    envelope[at]! ^= 1;
    expect(await codeOf(opener.open(envelope))).toBe('KEY_COMMITMENT_MISMATCH');
  });

  it('BUNDLE_INVALID for path traversal, extra entries, wrong order, bad padding and trailing bytes', async () => {
    const { opener, wrapper, manifestFor, signer } = await setup();
    const payload = Buffer.from('evil');
    const manifestBytes = encodeManifest(manifestFor(payload));
    const signature = await signer.sign(manifestBytes);
    const good = Buffer.concat(bundleParts({ payloadName: 'p.txt', payload, manifest: manifestBytes, signature }, 0));
    const traversal = Buffer.from(good);
    traversal.write('../x\0\0\0', 0, 'latin1');
    const withExtra = Buffer.concat([good.subarray(0, good.length - 1024), bundleHead('extra', 0, 0), Buffer.alloc(1024)]);
    const reordered = Buffer.concat([bundleHead('manifest.cbor', manifestBytes.length, 0), payload, bundleTail(payload.length, manifestBytes, { signature }, 0)]);
    const badPadding = Buffer.from(good);
    badPadding[512 + payload.length + 1] = 1;
    const trailing = Buffer.concat([good, Buffer.alloc(512)]);
    for (const bundle of [traversal, withExtra, reordered, badPadding, trailing]) {
      expect(await codeOf(opener.open(await envelopeAround(bundle, [wrapper])))).toBe('BUNDLE_INVALID');
    }
    expect(() => parseBundle(traversal, { maxPayloadBytes: 1e6, maxManifestBytes: 1e5 } as never)).toThrow(/unsafe or invalid name|not a plain/);
  });

  it('MANIFEST_INVALID and FORMAT_NONCANONICAL for signed but malformed manifests', async () => {
    const { opener, manifestFor, envelopeWith } = await setup();
    const payload = Buffer.from('data');
    const good = Buffer.from(encodeManifest(manifestFor(payload)));
    // An extra field.
    const m = manifestFor(payload);
    const extra = encodeCanonical({ created: m.created.getTime(), extra: 1, id: m.id, metadata: {}, payload: { name: 'p.txt', sha256: m.payload.sha256, size: payload.length, type: 'text/plain' }, recipients: m.recipients, sender: { alg: m.sender.algorithm, kid: m.sender.keyId }, version: 1 });
    expect(await codeOf(opener.open(await envelopeWith(extra, payload)))).toBe('MANIFEST_INVALID');
    // The same fields, keys in insertion order rather than sorted (encoded by an independent CBOR library).
    const unsorted = cbor.encode({ version: 1, id: m.id, created: m.created.getTime(), sender: { kid: m.sender.keyId, alg: m.sender.algorithm }, recipients: m.recipients, payload: { type: 'text/plain', name: 'p.txt', size: payload.length, sha256: Buffer.from(m.payload.sha256) }, metadata: {} });
    expect(await codeOf(opener.open(await envelopeWith(unsorted, payload)))).toBe('FORMAT_NONCANONICAL');
    // A duplicate key is malformed, not merely non-canonical.
    expect(() => decodeCanonical(Buffer.from('a2616101616102', 'hex'), 'manifest', 'MANIFEST_INVALID')).toThrow(/not valid CBOR/);
    // A long-form integer for version (0x18 0x01 instead of 0x01).
    const at = good.lastIndexOf(Buffer.from('version')) + 7;
    const longInt = Buffer.concat([good.subarray(0, at), Buffer.of(0x18, good[at]!), good.subarray(at + 1)]);
    expect(await codeOf(opener.open(await envelopeWith(longInt, payload)))).toBe('FORMAT_NONCANONICAL');
  });

  it('UNTRUSTED_SENDER, ALGORITHM_MISMATCH and SIGNATURE_INVALID', async () => {
    const { opener, manifestFor, envelopeWith, signer } = await setup();
    const payload = Buffer.from('data');
    const stranger = createLocalSigner((await keyPair('ec-p256', 9)).privateKeyPem);
    const untrusted = encodeManifest(manifestFor(payload, { sender: { keyId: stranger.keyId, algorithm: stranger.algorithm } }));
    expect(await codeOf(opener.open(await envelopeWith(untrusted, payload, 'p.txt', stranger)))).toBe('UNTRUSTED_SENDER');
    const claimsP384 = encodeManifest(manifestFor(payload, { sender: { keyId: signer.keyId, algorithm: 'ECDSA_SHA_384' } }));
    expect(await codeOf(opener.open(await envelopeWith(claimsP384, payload)))).toBe('ALGORITHM_MISMATCH');
    const forged: Signer = { ...signer, sign: async () => (await stranger.sign(Buffer.from('other'))) };
    expect(await codeOf(opener.open(await envelopeWith(encodeManifest(manifestFor(payload)), payload, 'p.txt', forged)))).toBe('SIGNATURE_INVALID');
  });

  it('PAYLOAD_MISMATCH for a different digest, size or name than signed', async () => {
    const { opener, manifestFor, envelopeWith } = await setup();
    const payload = Buffer.from('data');
    expect(await codeOf(opener.open(await envelopeWith(encodeManifest(manifestFor(Buffer.from('atad'))), payload)))).toBe('PAYLOAD_MISMATCH');
    expect(await codeOf(opener.open(await envelopeWith(encodeManifest(manifestFor(Buffer.from('data!'))), payload)))).toBe('PAYLOAD_MISMATCH');
    expect(await codeOf(opener.open(await envelopeWith(encodeManifest(manifestFor(payload)), payload, 'q.txt')))).toBe('PAYLOAD_MISMATCH');
  });

  it('RECIPIENT_MISMATCH: a recipient forwarding a signed message to a third party is detected', async () => {
    const alice = await keyPair('ec-p256');
    const bob = await keyPair('rsa-2048', 1);
    const carol = await keyPair('rsa-2048', 2);
    const trustAlice = createTrustStore([createLocalTrustedSender(alice.publicKeyPem)]);
    const sealer = createSealer({ signer: createLocalSigner(alice.privateKeyPem), recipients: [createLocalKeyWrapper(bob.publicKeyPem)] });
    const { envelope } = await sealer.seal(Buffer.from('for bob only'), { name: 'note.txt' });
    const opened = await createOpener({ keys: createLocalKeyUnwrapper(bob.privateKeyPem), trust: trustAlice }).open(envelope);
    // Bob re-encrypts Alice's signed bundle, unchanged, to Carol.
    const bundle = Buffer.concat(bundleParts({ payloadName: 'note.txt', payload: opened.payload, manifest: opened.manifestBytes, signature: opened.signature }, 0));
    const forwarded = await envelopeAround(bundle, [createLocalKeyWrapper(carol.publicKeyPem)]);
    const carolOpener = createOpener({ keys: createLocalKeyUnwrapper(carol.privateKeyPem), trust: trustAlice });
    expect(await codeOf(carolOpener.open(forwarded))).toBe('RECIPIENT_MISMATCH');
  });

  it('MESSAGE_EXPIRED and MESSAGE_NOT_YET_VALID against the configured window, and the check order', async () => {
    const { sealer, recipients, trust } = await parties('ec-p256', ['rsa-2048']);
    const { envelope } = await sealer.seal(Buffer.from('x'));
    const keys = createLocalKeyUnwrapper(recipients[0]!.privateKeyPem);
    const later = createOpener({ keys, trust, maxAgeMs: 60_000, now: () => Date.now() + 120_000 });
    expect(await codeOf(later.open(envelope))).toBe('MESSAGE_EXPIRED');
    const earlier = createOpener({ keys, trust, maxClockSkewMs: 1000, now: () => Date.now() - 60_000 });
    expect(await codeOf(earlier.open(envelope))).toBe('MESSAGE_NOT_YET_VALID');
    const anyAge = createOpener({ keys, trust, maxAgeMs: null, now: () => Date.now() + 10 * 365 * 86_400_000 });
    expect((await anyAge.open(envelope)).payload.length).toBe(1);
    const untrustedAndExpired = createOpener({ keys, trust: createTrustStore([]), maxAgeMs: 1, now: () => Date.now() + 120_000 });
    expect(await codeOf(untrustedAndExpired.open(envelope))).toBe('UNTRUSTED_SENDER');
  });

  it('LIMIT_EXCEEDED for header size, recipients, payload, metadata and gzip bombs', async () => {
    const { sealer, recipients, trust } = await parties('ec-p256', ['rsa-2048', 'rsa-2048', 'rsa-2048'], { compression: 'gzip' });
    const keys = createLocalKeyUnwrapper(recipients[0]!.privateKeyPem);
    const { envelope } = await sealer.seal(Buffer.alloc(1024 * 1024), { metadata: { a: 'bb', c: 'd' } });
    const limited = (limits: object) => createOpener({ keys, trust, limits });
    expect(await codeOf(limited({ maxHeaderBytes: 100 }).open(envelope))).toBe('LIMIT_EXCEEDED');
    expect(await codeOf(limited({ maxRecipients: 2 }).open(envelope))).toBe('LIMIT_EXCEEDED');
    // A megabyte of zeros compresses to about a kilobyte: a small envelope that expands past the cap.
    expect(envelope.length).toBeLessThan(8 * 1024);
    expect(await codeOf(limited({ maxPayloadBytes: 64 * 1024 }).open(envelope))).toBe('LIMIT_EXCEEDED');
    expect(await codeOf(limited({ maxMetadataEntries: 1 }).open(envelope))).toBe('LIMIT_EXCEEDED');
    expect(await codeOf(limited({ maxMetadataValueBytes: 1 }).open(envelope))).toBe('LIMIT_EXCEEDED');
    expect(await codeOf(limited({ maxManifestBytes: 64 }).open(envelope))).toBe('LIMIT_EXCEEDED');
  });

  it('FORMAT_MAGIC and FORMAT_VERSION before anything else', async () => {
    const { opener } = await setup();
    expect(await codeOf(opener.open(Buffer.from('not an envelope at all')))).toBe('FORMAT_MAGIC');
    expect(await codeOf(opener.open(Buffer.from('SEALPOST\x02\0\0\0\x01\xa0', 'latin1')))).toBe('FORMAT_VERSION');
    expect(await codeOf(opener.open(Buffer.alloc(0)))).toBe('FORMAT_TRUNCATED');
  });

  it('sealing validates its own input: payload names, content types and metadata', async () => {
    const { sealer } = await parties('ec-p256', ['rsa-2048']);
    for (const name of ['../x', 'a/b', '', 'manifest.cbor', 'x'.repeat(101), 'bad\u0001name']) {
      expect(await codeOf(sealer.seal(Buffer.from('x'), { name }))).toBe('CONFIG_INVALID');
    }
    expect(await codeOf(sealer.seal(Buffer.from('x'), { contentType: 'bad\ntype' }))).toBe('CONFIG_INVALID');
    expect(await codeOf(sealer.seal(Buffer.from('x'), { metadata: { 'bad key': 'v' } }))).toBe('CONFIG_INVALID');
    expect(() => bundleTail(0, Buffer.alloc(1), { signature: Buffer.alloc(1) }, 0)).not.toThrow();
  });
});

describe('sealing options', () => {
  it('takes a caller-chosen UUIDv7 id and a clock, and refuses other ids', async () => {
    const { recipients, trust } = await parties('ec-p256', ['rsa-2048']);
    const sender = await keyPair('ec-p256');
    const created = Date.now() - 60_000;
    const id = uuidv7(created);
    const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(recipients[0]!.publicKeyPem)], clock: () => created });
    const sealed = await sealer.seal(Buffer.from('x'), { id });
    expect(sealed.id).toBe(id);
    const opened = await createOpener({ keys: createLocalKeyUnwrapper(recipients[0]!.privateKeyPem), trust }).open(sealed.envelope);
    expect(opened.manifest.id).toBe(id);
    expect(opened.manifest.created.getTime()).toBe(created);
    expect(await codeOf(sealer.seal(Buffer.from('x'), { id: 'not-a-uuid' }))).toBe('CONFIG_INVALID');
  });
});
