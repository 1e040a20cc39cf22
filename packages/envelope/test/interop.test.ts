import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Decoder } from 'cbor';
import { describe, expect, it } from 'vitest';
import { createSecretKey } from 'node:crypto';
import { deriveMessageKeys } from '../src/format/derive.ts';
import { parseHeader } from '../src/format/header.ts';
import { DEFAULT_LIMITS } from '../src/limits.ts';
import type { LocalKeyType } from '../src/index.ts';
import { parties } from './support/keys.ts';
import { run, tempDir } from './support/tools.ts';

const digestOf: Record<string, string> = { 'ec-p256': '-sha256', 'ec-secp256k1': '-sha256', 'ec-p384': '-sha384', 'ec-p521': '-sha512' };

describe('interoperability with independent tools', () => {
  for (const curve of ['ec-p521', 'ec-p384', 'ec-p256', 'ec-secp256k1'] as LocalKeyType[]) {
    it(`GNU tar extracts the verified bundle and openssl verifies the ${curve} signature`, async () => {
      const dir = await tempDir();
      const { sealer, opener, sender } = await parties(curve, ['rsa-2048']);
      const message = Buffer.from(JSON.stringify({ hello: 'world', n: 42 }));
      await writeFile(join(dir, 'message.json'), message);
      await sealer.sealFile(join(dir, 'message.json'), join(dir, 'message.enc'), { name: 'message.json', contentType: 'application/json' });
      await opener.openFile(join(dir, 'message.enc'), { payloadPath: join(dir, 'out.json'), bundlePath: join(dir, 'bundle.tar') });
      const extract = join(dir, 'x');
      await run('mkdir', [extract]);
      await run('tar', ['-xf', join(dir, 'bundle.tar'), '-C', extract]);
      expect((await readdir(extract)).sort()).toEqual(['manifest.cbor', 'manifest.sig', 'message.json']);
      expect((await readFile(join(extract, 'message.json'))).equals(message)).toBe(true);
      const listing = (await run('tar', ['-tf', join(dir, 'bundle.tar')])).stdout.trim().split('\n');
      expect(listing).toEqual(['message.json', 'manifest.cbor', 'manifest.sig']);
      await writeFile(join(dir, 'sender.pub.pem'), sender.publicKeyPem);
      const { stdout } = await run('openssl', ['dgst', digestOf[curve]!, '-verify', join(dir, 'sender.pub.pem'), '-signature', join(extract, 'manifest.sig'), join(extract, 'manifest.cbor')]);
      expect(stdout.trim()).toBe('Verified OK');
    });
  }

  it('the manifest decodes with an independent CBOR decoder to the same fields', async () => {
    const dir = await tempDir();
    const { sealer, opener, sender, recipients } = await parties('ec-p256', ['rsa-2048', 'rsa-2048']);
    const { envelope } = await sealer.seal(Buffer.from('hi'), { name: 'hi.txt', contentType: 'text/plain', metadata: { a: '1' } });
    const opened = await opener.open(envelope);
    await writeFile(join(dir, 'manifest.cbor'), opened.manifestBytes);
    const decoded = Decoder.decodeFirstSync(Buffer.from(opened.manifestBytes), { preferMap: false }) as Record<string, any>;
    expect(decoded.version).toBe(1);
    expect(decoded.id).toBe(opened.manifest.id);
    expect(decoded.created).toBe(opened.manifest.created.getTime());
    expect(decoded.sender).toEqual({ alg: 'ECDSA_SHA_256', kid: sender.keyId });
    expect(decoded.recipients).toEqual(recipients.map((r) => r.keyId));
    expect(decoded.payload.name).toBe('hi.txt');
    expect(decoded.payload.type).toBe('text/plain');
    expect(decoded.payload.size).toBe(2);
    expect(Buffer.from(decoded.payload.sha256).equals(Buffer.from(opened.manifest.payload.sha256))).toBe(true);
    expect(decoded.metadata).toEqual({ a: '1' });
    expect(Object.keys(decoded)).toEqual(['id', 'created', 'payload', 'sender', 'version', 'metadata', 'recipients'].sort((a, b) => a.length - b.length || (a < b ? -1 : 1)));
  });

  it('openssl pkeyutl recovers the data key from a wrapped-key entry, and it matches the key commitment', async () => {
    const dir = await tempDir();
    const { sealer, recipients } = await parties('ec-p256', ['rsa-3072']);
    const { envelope } = await sealer.seal(Buffer.from('x'));
    const { header } = parseHeader(envelope, DEFAULT_LIMITS);
    await writeFile(join(dir, 'wrapped.bin'), header.recipients[0]!.wrappedKey);
    await writeFile(join(dir, 'receiver.pem'), recipients[0]!.privateKeyPem);
    await run('openssl', ['pkeyutl', '-decrypt', '-inkey', join(dir, 'receiver.pem'), '-in', join(dir, 'wrapped.bin'), '-out', join(dir, 'key.bin'), '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256']);
    const dataKey = await readFile(join(dir, 'key.bin'));
    expect(dataKey.length).toBe(32);
    const { commitment } = deriveMessageKeys(createSecretKey(dataKey), header.salt);
    expect(commitment.equals(Buffer.from(header.commitment))).toBe(true);
  });

  it('local key ids are the base64url SHA-256 of the SPKI DER, as openssl computes it', async () => {
    const dir = await tempDir();
    const { sender } = await parties('ec-p384', ['rsa-2048']);
    await writeFile(join(dir, 'pub.pem'), sender.publicKeyPem);
    await run('sh', ['-c', `openssl pkey -pubin -in ${join(dir, 'pub.pem')} -outform DER | openssl dgst -sha256 -binary > ${join(dir, 'digest')}`]);
    expect((await readFile(join(dir, 'digest'))).toString('base64url')).toBe(sender.keyId);
  });
});
