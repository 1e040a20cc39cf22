import { describe, expect, it } from 'vitest';
import { loadReceiverConfig } from '../src/index.ts';

describe('receiver configuration', () => {
  it('applies defaults and parses durations and lists', async () => {
    const config = await loadReceiverConfig({ env: { SEALPOST_KEYS: 'a.pem, kms:alias/x', SEALPOST_TRUST: 'keys/', SEALPOST_MAX_AGE: '12h', SEALPOST_METRICS_PORT: 'off' } });
    expect(config).toMatchObject({ transport: 'spool:.sealpost/spool', store: 'sqlite:.sealpost/messages.db', keys: ['a.pem', 'kms:alias/x'], trust: ['keys/'], concurrency: 8, maxAge: 12 * 3600_000, metricsPort: 'off', kmsVerify: 'local' });
    expect((await loadReceiverConfig({ env: { SEALPOST_KEYS: 'a', SEALPOST_TRUST: 'b', SEALPOST_MAX_AGE: 'none' } })).maxAge).toBeNull();
  });

  it('reports every bad setting at once, naming it and its variable', async () => {
    await expect(loadReceiverConfig({ env: { SEALPOST_CONCURRENCY: '0', SEALPOST_MAX_AGE: 'soon', SEALPOST_KMS_VERIFY: 'maybe' } })).rejects.toThrow(
      /keys \(SEALPOST_KEYS\): required[\s\S]*concurrency \(SEALPOST_CONCURRENCY\)[\s\S]*maxAge \(SEALPOST_MAX_AGE\): expected a duration[\s\S]*kmsVerify \(SEALPOST_KMS_VERIFY\)[\s\S]*trust \(SEALPOST_TRUST\) or trustCa \(SEALPOST_TRUST_CA\): at least one/,
    );
  });

  it('refuses unknown SEALPOST_ variables, suggesting the setting a typo resembles, and leaves other tools\' variables alone', async () => {
    const env = { SEALPOST_KEYS: 'a', SEALPOST_TRUST: 'b' };
    await expect(loadReceiverConfig({ env: { ...env, SEALPOST_STROE: 'x', SEALPOST_WHATEVER: '1' } })).rejects.toThrow(
      /unknown environment variable SEALPOST_STROE \(did you mean SEALPOST_STORE\?\); unknown environment variable SEALPOST_WHATEVER/,
    );
    const other = { SEALPOST_TEST_POSTGRES: 'x', SEALPOST_BENCH_POSTGRES: 'x', SEALPOST_EXAMPLE_QUEUE_URL: 'x', SEALPOST_DATA_DIR: 'x', SEALPOST_TOOLS_DIR: 'x' };
    expect((await loadReceiverConfig({ env: { ...env, ...other } })).keys).toEqual(['a']);
  });

  it('accepts CA certificates instead of trusted keys, and refuses CRLs without a CA', async () => {
    const config = await loadReceiverConfig({ env: { SEALPOST_KEYS: 'k.pem', SEALPOST_TRUST_CA: 'root.pem', SEALPOST_CRL: 'a.crl, https://ca.example.com/b.crl', SEALPOST_CRL_REFRESH: '15m' } });
    expect(config).toMatchObject({ trust: [], trustCa: ['root.pem'], crl: ['a.crl', 'https://ca.example.com/b.crl'], crlRefresh: 15 * 60_000 });
    await expect(loadReceiverConfig({ env: { SEALPOST_KEYS: 'k.pem', SEALPOST_TRUST: 't.pem', SEALPOST_CRL: 'a.crl' } })).rejects.toThrow(/crl \(SEALPOST_CRL\): CRLs apply to certificates/);
  });

  it('follows offload pointers only into a store with a blob location, and from buckets S3 could name', async () => {
    const base = { SEALPOST_KEYS: 'k.pem', SEALPOST_TRUST: 't.pem', SEALPOST_OFFLOAD_BUCKETS: 'inbox-large' };
    expect((await loadReceiverConfig({ env: base })).offloadBuckets).toEqual(['inbox-large']);
    expect((await loadReceiverConfig({ env: { ...base, SEALPOST_STORE: 'postgres://127.0.0.1/test', SEALPOST_BLOB_STORE: 's3://blobs/sealpost/' } })).blobStore).toBe('s3://blobs/sealpost/');
    await expect(loadReceiverConfig({ env: { ...base, SEALPOST_STORE: 'dynamodb://messages' } })).rejects.toThrow(/offloadBuckets \(SEALPOST_OFFLOAD_BUCKETS\): offloaded payloads are stored in a blob location; set blobStore \(SEALPOST_BLOB_STORE\) for dynamodb stores/);
    await expect(loadReceiverConfig({ env: { ...base, SEALPOST_OFFLOAD_BUCKETS: 'a..b' } })).rejects.toThrow(/offloadBuckets \(SEALPOST_OFFLOAD_BUCKETS\): expected S3 bucket names/);
  });

  it('reads a JSON config file, lets the environment override it, and refuses unknown keys', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'sealpost-config-'));
    try {
      await writeFile(join(dir, 'ok.json'), JSON.stringify({ keys: ['k.pem'], trust: ['t.pem'], concurrency: 4 }));
      expect((await loadReceiverConfig({ file: join(dir, 'ok.json'), env: { SEALPOST_CONCURRENCY: '16' } })).concurrency).toBe(16);
      await writeFile(join(dir, 'bad.json'), JSON.stringify({ keys: ['k.pem'], trust: ['t.pem'], concurency: 4 }));
      await expect(loadReceiverConfig({ file: join(dir, 'bad.json'), env: {} })).rejects.toThrow(/unknown setting\(s\) in .*: concurency/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes a blob location and an inline payload limit for large payloads, and refuses malformed ones', async () => {
    const env = { SEALPOST_KEYS: 'a', SEALPOST_TRUST: 'b' };
    expect(await loadReceiverConfig({ env })).toMatchObject({ blobStore: '', inlinePayloadMax: 256 * 1024 });
    for (const location of ['dir:/var/lib/sealpost/blobs', 's3://my-bucket', 's3://my-bucket/sealpost/payloads', 'none']) {
      expect((await loadReceiverConfig({ env: { ...env, SEALPOST_BLOB_STORE: location, SEALPOST_INLINE_PAYLOAD_MAX: '0' } })).blobStore).toBe(location);
    }
    await expect(loadReceiverConfig({ env: { ...env, SEALPOST_BLOB_STORE: 'ftp://x', SEALPOST_INLINE_PAYLOAD_MAX: '-1' } })).rejects.toThrow(
      /blobStore \(SEALPOST_BLOB_STORE\): expected dir:PATH, s3:\/\/BUCKET\[\/PREFIX\] or 'none'[\s\S]*inlinePayloadMax \(SEALPOST_INLINE_PAYLOAD_MAX\): expected an integer/,
    );
  });
});
