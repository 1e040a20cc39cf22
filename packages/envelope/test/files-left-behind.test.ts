import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalKeyWrapper, createLocalSigner, createSealer, discardPendingFilesSync, type KeyWrapper } from '../src/index.ts';
import { codeOf, keyPair, parties } from './support/keys.ts';
import { tempDir } from './support/tools.ts';

/** Open file descriptors of this process (Linux). */
async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

describe('files a failed seal or open leaves behind: none', () => {
  it('sealFile refuses a bad name, content type or metadata before opening anything: no temporary file, no open descriptor', async () => {
    const dir = await tempDir();
    const { sealer } = await parties('ec-p256', ['rsa-2048']);
    await writeFile(join(dir, 'in.txt'), 'hello');
    const before = await openFds();
    for (const options of [{ name: '../escape' }, { name: 'a\nb' }, { contentType: 'text/plain\r\n' }, { metadata: { 'bad key': 'x' } }, { metadata: JSON.parse('{"__proto__":"x"}') as Record<string, string> }]) {
      expect(await codeOf(sealer.sealFile(join(dir, 'in.txt'), join(dir, 'out.enc'), options))).toBe('CONFIG_INVALID');
    }
    expect(await readdir(dir)).toEqual(['in.txt']);
    expect(await openFds()).toBe(before);
  });

  it('sealFile into a missing directory closes its input', async () => {
    const dir = await tempDir();
    const { sealer } = await parties('ec-p256', ['rsa-2048']);
    await writeFile(join(dir, 'in.txt'), 'hello');
    const before = await openFds();
    expect(await codeOf(sealer.sealFile(join(dir, 'in.txt'), join(dir, 'missing', 'out.enc')))).toBe('IO_ERROR');
    expect(await openFds()).toBe(before);
  });

  it('openStream with a bundle path it cannot create leaves no payload temporary file', async () => {
    const dir = await tempDir();
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048']);
    const { envelope } = await sealer.seal(Buffer.from('hello'), { name: 'hello.txt' });
    expect(await codeOf(opener.openStream([envelope], { payloadPath: join(dir, 'out.txt'), bundlePath: join(dir, 'missing', 'bundle.tar') }))).toBe('IO_ERROR');
    expect(await readdir(dir)).toEqual([]);
  });

  it('openStream refuses a payload path and a bundle path that name the same file, before writing anything', async () => {
    const dir = await tempDir();
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048']);
    const { envelope } = await sealer.seal(Buffer.from('hello'), { name: 'hello.txt' });
    expect(await codeOf(opener.openStream([envelope], { payloadPath: join(dir, 'same'), bundlePath: join(dir, '.', 'same') }))).toBe('CONFIG_INVALID');
    expect(await readdir(dir)).toEqual([]);
  });

  it('discardPendingFilesSync removes the partial plaintext of an open still in progress', async () => {
    const dir = await tempDir();
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048'], { frameSize: 1024 });
    const { envelope } = await sealer.seal(Buffer.alloc(64 * 1024, 7), { name: 'big.bin' });
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    // Half the envelope, then nothing until the test lets go: the open is mid-way.
    const source = (async function* () {
      yield envelope.subarray(0, envelope.length >> 1);
      await stalled;
      yield envelope.subarray(envelope.length >> 1);
    })();
    const opening = opener.openStream(source, { payloadPath: join(dir, 'out.bin') });
    while ((await readdir(dir)).length === 0) await new Promise((r) => setTimeout(r, 10));
    expect((await readdir(dir))[0]).toMatch(/^\.out\.bin\.[0-9a-f]+\.tmp$/);
    discardPendingFilesSync();
    expect(await readdir(dir)).toEqual([]);
    release();
    expect(await codeOf(opening)).toBe('IO_ERROR');
    expect(await readdir(dir)).toEqual([]);
  });

  it('createSealer refuses more recipients than a receiver with default limits opens, unless limits.maxRecipients is raised', async () => {
    const sender = await keyPair('ec-p256');
    const wrapper = createLocalKeyWrapper((await keyPair('rsa-2048')).publicKeyPem);
    // Seventeen distinct key ids; the wrapping itself is never reached.
    const recipients: KeyWrapper[] = Array.from({ length: 17 }, (_, i) => ({ keyId: `${wrapper.keyId}-${i}`, algorithm: wrapper.algorithm, wrap: (key) => wrapper.wrap(key) }));
    const signer = createLocalSigner(sender.privateKeyPem);
    expect(() => createSealer({ signer, recipients })).toThrow(/17 recipients exceed limits.maxRecipients \(16\)/);
    expect(() => createSealer({ signer, recipients, limits: { maxRecipients: 17 } })).not.toThrow();
  });
});
