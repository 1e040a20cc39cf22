import { openSync, writeSync, closeSync, fsyncSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCipheriv, createHash, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify, constants, type KeyObject } from 'node:crypto';
import { rate, rateSync, samples, type Plan } from '../lib/measure.ts';
import type { Row } from '../lib/report.ts';

const CURVES = [['P-256', 'prime256v1', 'sha256'], ['P-384', 'secp384r1', 'sha384'], ['P-521', 'secp521r1', 'sha512'], ['secp256k1', 'secp256k1', 'sha256']] as const;

/** What the later sections compare against. */
export interface Baseline {
  aesGcmMBps: number;
  sha256MBps: number;
}

function throughput(op: (chunk: Buffer) => void, totalBytes: number, reps: number): number[] {
  const chunk = randomBytes(1024 * 1024);
  const results: number[] = [];
  for (let rep = 0; rep <= reps; rep++) {
    const started = performance.now();
    for (let done = 0; done < totalBytes; done += chunk.length) op(chunk);
    if (rep > 0) results.push(totalBytes / 1e6 / ((performance.now() - started) / 1000));
  }
  return results;
}

/** Section 1: the machine's limits with node:crypto, in this run. */
export async function machineSection(plan: Plan, quick: boolean): Promise<{ rows: Row[]; baseline: Baseline }> {
  const rows: Row[] = [];
  const section = '1. Machine limits (node:crypto)';
  const data = randomBytes(300);
  const baseline: Partial<Baseline> = {};
  for (const [label, curve, hash] of CURVES) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const signature = sign(hash, data, privateKey);
    const signSync = rateSync(() => sign(hash, data, privateKey), plan);
    const verifySync = rateSync(() => verify(hash, data, publicKey, signature), plan);
    const signPool = await rate(() => new Promise((resolve) => sign(hash, data, privateKey, resolve)), plan, 32);
    const verifyPool = await rate(() => new Promise((resolve) => verify(hash, data, publicKey, signature, resolve)), plan, 32);
    rows.push(
      { section, name: `ECDSA ${label} sign, one thread`, value: signSync, unit: 'ops/s' },
      { section, name: `ECDSA ${label} verify, one thread`, value: verifySync, unit: 'ops/s' },
      { section, name: `ECDSA ${label} sign, thread pool`, value: signPool, unit: 'ops/s', note: '32 in flight' },
      { section, name: `ECDSA ${label} verify, thread pool`, value: verifyPool, unit: 'ops/s', note: '32 in flight' },
    );
  }
  for (const bits of quick ? [2048] : [2048, 3072, 4096]) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const oaep = (key: KeyObject) => ({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' });
    const wrapped = publicEncrypt(oaep(publicKey), randomBytes(32));
    rows.push(
      { section, name: `RSA-${bits} OAEP-SHA-256 encrypt`, value: rateSync(() => publicEncrypt(oaep(publicKey), data.subarray(0, 32)), plan), unit: 'ops/s' },
      { section, name: `RSA-${bits} OAEP-SHA-256 decrypt`, value: rateSync(() => privateDecrypt(oaep(privateKey), wrapped), plan), unit: 'ops/s' },
    );
  }
  const total = quick ? 16 * 1024 * 1024 : 256 * 1024 * 1024;
  const key = randomBytes(32);
  const aes = samples(throughput((chunk) => { const c = createCipheriv('aes-256-gcm', key, randomBytes(12)); c.update(chunk); c.final(); }, total, plan.reps));
  const sha256 = samples(throughput((chunk) => createHash('sha256').update(chunk).digest(), total, plan.reps));
  const sha512 = samples(throughput((chunk) => createHash('sha512').update(chunk).digest(), total, plan.reps));
  rows.push(
    { section, name: 'AES-256-GCM encrypt, 1 MiB chunks', value: aes, unit: 'MB/s' },
    { section, name: 'SHA-256, 1 MiB chunks', value: sha256, unit: 'MB/s' },
    { section, name: 'SHA-512, 1 MiB chunks', value: sha512, unit: 'MB/s' },
  );
  const diskTotal = quick ? 16 * 1024 * 1024 : 256 * 1024 * 1024;
  const diskPath = join(tmpdir(), `sealpost-bench-disk-${process.pid}`);
  const disk = samples(
    Array.from({ length: Math.min(plan.reps, 3) }, () => {
      const chunk = randomBytes(1024 * 1024);
      const fd = openSync(diskPath, 'w');
      const started = performance.now();
      for (let done = 0; done < diskTotal; done += chunk.length) writeSync(fd, chunk);
      fsyncSync(fd);
      closeSync(fd);
      rmSync(diskPath);
      return diskTotal / 1e6 / ((performance.now() - started) / 1000);
    }),
  );
  rows.push({ section, name: 'disk write to the temp directory, 1 MiB writes + fsync', value: disk, unit: 'MB/s', note: 'bounds streaming open, which writes the payload to disk' });
  Object.assign(baseline, { aesGcmMBps: aes.median, sha256MBps: sha256.median });
  return { rows, baseline: baseline as Baseline };
}
