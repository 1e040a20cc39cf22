/**
 * Seals or opens one large payload in a fresh process and prints {seconds, mbps, peakRssMiB}
 * as JSON: a fresh process gives an honest peak RSS (VmHWM).
 *
 *   node bench/large-payload.ts --phase prepare --size 1073741824 --file DATA      (writes the payload file)
 *   node bench/large-payload.ts --phase seal --keys DIR --file DATA               (DATA -> DATA.enc, removes DATA)
 *   node bench/large-payload.ts --phase open --keys DIR --file DATA.enc
 *   node bench/large-payload.ts --phase memory --keys DIR --size 268435456 --file OUT  (3 x seal in memory, open from memory to OUT)
 *   node bench/large-payload.ts --phase peer --peer jose|esdk --size 16777216
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  createLocalKeyUnwrapper,
  createLocalKeyWrapper,
  createLocalSigner,
  createLocalTrustedSender,
  createOpener,
  createSealer,
  createTrustStore,
} from '@sealpost/envelope';

const { values } = parseArgs({ options: { phase: { type: 'string' }, size: { type: 'string' }, keys: { type: 'string' }, file: { type: 'string' }, peer: { type: 'string' } } });

function peakRssMiB(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.replace(/\D+/g, '')) / 1024 : process.memoryUsage().rss / 1024 / 1024;
}

async function* generate(size: number): AsyncGenerator<Buffer> {
  const chunk = randomBytes(1024 * 1024);
  for (let left = size; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
}

const report = (bytes: number, seconds: number, extra: object = {}) =>
  console.log(JSON.stringify({ seconds, mbps: bytes / 1e6 / seconds, peakRssMiB: peakRssMiB(), ...extra }));

if (values.phase === 'prepare') {
  // The payload file the seal phase reads (untimed, in its own process).
  const out = createWriteStream(values.file!);
  for await (const chunk of generate(Number(values.size))) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'close');
} else if (values.phase === 'seal' || values.phase === 'open') {
  const keys = values.keys!;
  const pem = (name: string) => readFileSync(join(keys, name), 'utf8');
  if (values.phase === 'seal') {
    const sealer = createSealer({ signer: createLocalSigner(pem('sender.pem')), recipients: [createLocalKeyWrapper(pem('receiver.pub.pem'))] });
    const size = statSync(values.file!).size;
    const started = performance.now();
    const sealed = await sealer.sealFile(values.file!, `${values.file!}.enc`, { name: 'large.bin' });
    report(size, (performance.now() - started) / 1000, { envelopeBytes: sealed.bytes });
    rmSync(values.file!);
  } else {
    const opener = createOpener({ keys: createLocalKeyUnwrapper(pem('receiver.pem')), trust: createTrustStore([createLocalTrustedSender(pem('sender.pub.pem'))]) });
    const payloadPath = `${values.file!}.payload`;
    const started = performance.now();
    const verified = await opener.openFile(values.file!, { payloadPath });
    const seconds = (performance.now() - started) / 1000;
    const size = statSync(payloadPath).size;
    rmSync(payloadPath);
    report(size, seconds, { verified: verified.manifest.payload.size === size });
  }
} else if (values.phase === 'memory') {
  // The streaming pipeline without reading from the disk: seal a generated stream and count
  // the envelope bytes; open that envelope from memory into the verified file it must write.
  const keys = values.keys!;
  const pem = (name: string) => readFileSync(join(keys, name), 'utf8');
  const sealer = createSealer({ signer: createLocalSigner(pem('sender.pem')), recipients: [createLocalKeyWrapper(pem('receiver.pub.pem'))] });
  const opener = createOpener({ keys: createLocalKeyUnwrapper(pem('receiver.pem')), trust: createTrustStore([createLocalTrustedSender(pem('sender.pub.pem'))]) });
  const size = Number(values.size);
  const sealMbps: number[] = [];
  const openMbps: number[] = [];
  let envelope: Buffer[] = [];
  // Raw AES-256-GCM and SHA-256 over the same bytes, in turns with the seals: the yardstick sees the same machine.
  const aesMbps: number[] = [];
  const sha256Mbps: number[] = [];
  const mbps = async (work: () => Promise<void>) => {
    const started = performance.now();
    await work();
    return size / 1e6 / ((performance.now() - started) / 1000);
  };
  // The envelope the opens read, sealed untimed (keeping copies would slow a timed run).
  for await (const part of sealer.sealStream(generate(size), size, { name: 'large.bin' }).stream) envelope.push(Buffer.from(part));
  for (let rep = 0; rep < 3; rep++) {
    aesMbps.push(await mbps(async () => {
      const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
      for await (const chunk of generate(size)) cipher.update(chunk);
      cipher.final();
    }));
    sha256Mbps.push(await mbps(async () => {
      const hash = createHash('sha256');
      for await (const chunk of generate(size)) hash.update(chunk);
      hash.digest();
    }));
    sealMbps.push(await mbps(async () => {
      let bytes = 0;
      for await (const part of sealer.sealStream(generate(size), size, { name: 'large.bin' }).stream) bytes += part.length;
      if (bytes === 0) throw new Error('sealed nothing');
    }));
  }
  const whole = Buffer.concat(envelope);
  envelope = [];
  async function* chunks() {
    for (let i = 0; i < whole.length; i += 1024 * 1024) yield whole.subarray(i, i + 1024 * 1024);
  }
  // Open must write its payload file: a plain write of as many bytes to a new file, synced, in turns with it.
  const writeMbps: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    writeMbps.push(await mbps(async () => {
      const handle = await open(values.file!, 'wx', 0o600);
      for await (const chunk of generate(size)) await handle.write(chunk);
      await handle.sync();
      await handle.close();
    }));
    rmSync(values.file!);
    openMbps.push(await mbps(() => opener.openStream(chunks(), { payloadPath: values.file! }).then(() => undefined)));
    rmSync(values.file!);
  }
  console.log(JSON.stringify({ sealMbps, openMbps, aesMbps, sha256Mbps, writeMbps }));
} else if (values.phase === 'peer') {
  const size = Number(values.size);
  // Imported only here, so the Sealpost phases measure a process without the peers loaded.
  const { benchKeys, esdk, jose } = await import('./sections/peers.ts');
  const keys = benchKeys();
  const contender = values.peer === 'jose' ? jose(keys) : esdk(keys, false);
  const payload = randomBytes(size);
  const sealStarted = performance.now();
  const sealed = await contender.seal(payload);
  const sealSeconds = (performance.now() - sealStarted) / 1000;
  const openStarted = performance.now();
  await contender.open(sealed);
  const openSeconds = (performance.now() - openStarted) / 1000;
  console.log(JSON.stringify({ sealMbps: size / 1e6 / sealSeconds, openMbps: size / 1e6 / openSeconds, peakRssMiB: peakRssMiB() }));
} else {
  console.error('usage: --phase prepare|seal|open|memory|peer (see the file header)');
  process.exitCode = 2;
}
