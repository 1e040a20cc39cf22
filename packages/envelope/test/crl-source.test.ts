import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUrlCrlSource } from '../src/index.ts';
import { createOpensslPki, type OpensslPki } from './support/openssl-ca.ts';

let dir: string;
let pki: OpensslPki;
let server: Server;
let url: string;
let body: Buffer | undefined;
let requests = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealpost-crl-'));
  pki = await createOpensslPki(dir);
  body = await readFile(await pki.crl());
  server = createServer((_request, response) => {
    requests++;
    if (body === undefined) response.writeHead(503).end();
    else response.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/intermediate.crl`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('a CRL fetched from a URL', () => {
  it('is fetched once for concurrent callers, cached for refreshMs, then fetched again', async () => {
    let now = 1_000_000;
    const source = createUrlCrlSource(url, { refreshMs: 60_000, now: () => now });
    requests = 0;
    const [a, b] = await Promise.all([source.current(), source.current()]);
    expect(a).toHaveLength(1);
    expect(b).toBe(a);
    expect(requests).toBe(1);
    now += 59_000;
    await source.current();
    expect(requests).toBe(1);
    now += 2_000;
    await source.current();
    expect(requests).toBe(2);
  });

  it('keeps serving the last good CRL through failed refreshes for maxStaleMs, then fails transiently with CRL_UNAVAILABLE', async () => {
    let now = 5_000_000;
    const source = createUrlCrlSource(url, { refreshMs: 1_000, maxStaleMs: 10_000, now: () => now });
    const good = await source.current();
    const saved = body;
    body = undefined;
    try {
      now += 5_000;
      expect(await source.current()).toBe(good);
      now += 6_000;
      await expect(source.current()).rejects.toMatchObject({ code: 'CRL_UNAVAILABLE', transient: true });
    } finally {
      body = saved;
    }
    expect(await source.current()).toHaveLength(1);
  });

  it('an unreachable URL, an HTTP error or a body that is no CRL is CRL_UNAVAILABLE (transient), never a rejection of the message', async () => {
    await expect(createUrlCrlSource('http://127.0.0.1:9/none.crl', { timeoutMs: 5_000 }).current()).rejects.toMatchObject({ code: 'CRL_UNAVAILABLE', transient: true });
    const saved = body;
    body = Buffer.from('not a crl');
    try {
      await expect(createUrlCrlSource(url).current()).rejects.toMatchObject({ code: 'CRL_UNAVAILABLE', transient: true });
    } finally {
      body = saved;
    }
    expect(() => createUrlCrlSource('file:///etc/passwd')).toThrow(/http or https/);
  });
});
