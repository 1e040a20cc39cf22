import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBatchSigner } from '../src/batch/batch-signer.ts';
import {
  SealpostError,
  buildTree,
  createLocalSigner,
  createLocalTrustedSender,
  createStatementCache,
  createTrustStore,
  decodeEvidence,
  decodeProof,
  decodeStatement,
  leafHash,
  nodeHash,
  rootFromProof,
  verifyEvidence,
  type Signer,
} from '../src/index.ts';
import { codeOf, keyPair, parties } from './support/keys.ts';
import { run, tempDir } from './support/tools.ts';

/** RFC 9162 2.1.1 MTH, written as the RFC writes it: the reference the fast builder must match. */
function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const leaves = (n: number, label = 'leaf') => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${label} ${i}`)));

describe('Merkle tree (RFC 9162 2.1)', () => {
  it('hashes leaves under 0x00 and interior nodes under 0x01', () => {
    expect(leafHash(Buffer.from('m')).equals(createHash('sha256').update(Buffer.from([0x00, 0x6d])).digest())).toBe(true);
    const [a, b] = leaves(2) as [Buffer, Buffer];
    expect(nodeHash(a, b).equals(createHash('sha256').update(Buffer.of(0x01)).update(a).update(b).digest())).toBe(true);
  });

  it('builds the RFC root and a verifying proof for every leaf of every size from 1 to 70', () => {
    for (let n = 1; n <= 70; n++) {
      const l = leaves(n);
      const tree = buildTree(l);
      expect(tree.root.equals(mth(l)), `root of ${n}`).toBe(true);
      l.forEach((leaf, i) => expect(rootFromProof(leaf, i, n, tree.paths[i]!)?.equals(tree.root), `leaf ${i} of ${n}`).toBe(true));
    }
  });

  it('a batch of one is its leaf, with an empty proof', () => {
    const [leaf] = leaves(1) as [Buffer];
    const tree = buildTree([leaf]);
    expect(tree.root.equals(leaf)).toBe(true);
    expect(tree.paths[0]).toEqual([]);
  });
});

describe('hostile inclusion proofs', () => {
  const n = 13;
  const l = leaves(n);
  const tree = buildTree(l);
  const accepted = (leaf: Buffer, index: number, count: number, path: readonly Uint8Array[]) => rootFromProof(leaf, index, count, path)?.equals(tree.root) === true;

  it('a proof for another leaf does not verify', () => {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) expect(accepted(l[i]!, j, n, tree.paths[j]!), `leaf ${i} with proof ${j}`).toBe(false);
  });

  it('a leaf with its own path but another index does not verify', () => {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) expect(accepted(l[i]!, j, n, tree.paths[i]!)).toBe(false);
  });

  it('a truncated or extended proof does not verify', () => {
    for (let i = 0; i < n; i++) {
      const path = tree.paths[i]!;
      expect(accepted(l[i]!, i, n, path.slice(0, -1))).toBe(false);
      expect(accepted(l[i]!, i, n, [...path, tree.root])).toBe(false);
      expect(accepted(l[i]!, i, n, [...path, path.at(-1)!])).toBe(false);
    }
  });

  it('an index out of range does not verify (and never throws)', () => {
    for (const index of [n, n + 1, -1, 2 ** 32, Number.NaN, 1.5]) expect(rootFromProof(l[0]!, index, n, tree.paths[0]!)).toBeUndefined();
  });

  it('an interior node cannot pose as a leaf', () => {
    // The left subtree of 8 leaves is an interior node; offered as a leaf hash with the top path, the root must not come out.
    const interior = mth(l.slice(0, 8));
    expect(accepted(leafHash(interior), 0, 2, [mth(l.slice(8))])).toBe(false);
  });

  it('a count that disagrees with the tree rejects a proof whose shape differs', () => {
    const seven = leaves(7);
    const t = buildTree(seven);
    expect(rootFromProof(seven[6]!, 6, 7, t.paths[6]!)?.equals(t.root)).toBe(true);
    expect(rootFromProof(seven[6]!, 6, 8, t.paths[6]!)?.equals(t.root) ?? false).toBe(false);
    expect(rootFromProof(seven[6]!, 6, 6, t.paths[6]!)).toBeUndefined();
  });

  it('decodeProof rejects hashes of the wrong size and over-long paths', () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
    expect(() => decodeProof(enc({}))).toThrow(SealpostError);
    const thirtyOne = Buffer.concat([Buffer.of(0xa2, 0x64), Buffer.from('path'), Buffer.of(0x81, 0x58, 31), Buffer.alloc(31), Buffer.of(0x65), Buffer.from('index'), Buffer.of(0x00)]);
    expect(() => decodeProof(thirtyOne)).toThrowError(expect.objectContaining({ code: 'BATCH_INVALID' }) as Error);
    const many = Buffer.concat([Buffer.of(0xa2, 0x64), Buffer.from('path'), Buffer.of(0x98, 33), ...Array.from({ length: 33 }, () => Buffer.concat([Buffer.of(0x58, 32), Buffer.alloc(32)])), Buffer.of(0x65), Buffer.from('index'), Buffer.of(0x00)]);
    expect(() => decodeProof(many)).toThrowError(expect.objectContaining({ code: 'BATCH_INVALID' }) as Error);
  });
});

/** A signer that counts its calls. */
function counting(signer: Signer) {
  const counter = { calls: 0 };
  return { counter, signer: { ...signer, sign: (data: Uint8Array) => (counter.calls++, signer.sign(data)) } satisfies Signer };
}

describe('batch signing', () => {
  it('one signature covers a full batch; every message opens with its own proof', async () => {
    const pair = await keyPair('ec-p256');
    const { counter, signer } = counting(createLocalSigner(pair.privateKeyPem));
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048'], { signer, batchSigning: { maxMessages: 10, maxDelayMs: 60_000 } });
    const sealed = await Promise.all(Array.from({ length: 10 }, (_, i) => sealer.seal(Buffer.from(`message ${i}`))));
    expect(counter.calls).toBe(1);
    const statements = new Set<string>();
    for (const [i, s] of sealed.entries()) {
      const opened = await opener.open(s.envelope);
      expect(Buffer.from(opened.payload).toString()).toBe(`message ${i}`);
      expect(opened.batch).toBeDefined();
      expect(decodeProof(opened.batch!.proof).index).toBe(i);
      expect(decodeStatement(opened.batch!.statement).count).toBe(10);
      statements.add(Buffer.from(opened.batch!.statement).toString('hex'));
    }
    expect(statements.size).toBe(1);
  });

  it('a batch is signed when the first message has waited maxDelayMs, and on flush', async () => {
    const pair = await keyPair('ec-p256');
    const { counter, signer } = counting(createLocalSigner(pair.privateKeyPem));
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048'], { signer, batchSigning: { maxMessages: 1000, maxDelayMs: 20 } });
    const lone = await sealer.seal(Buffer.from('alone'));
    expect(counter.calls).toBe(1);
    expect(decodeStatement((await opener.open(lone.envelope)).batch!.statement).count).toBe(1);
    const slow = createBatchSigner(signer, { maxMessages: 1000, maxDelayMs: 60_000 });
    const pending = slow.sign(Buffer.from('manifest'));
    slow.flush();
    expect((await pending).batch).toBeDefined();
    expect(counter.calls).toBe(2);
  });

  it('a failed batch Sign fails every message of the batch with the same error, transient kept', async () => {
    const pair = await keyPair('ec-p256');
    const failing: Signer = { ...createLocalSigner(pair.privateKeyPem), sign: () => Promise.reject(new SealpostError('KMS_THROTTLED')) };
    const { sealer } = await parties('ec-p256', ['rsa-2048'], { signer: failing, batchSigning: { maxMessages: 3 } });
    const results = await Promise.allSettled([1, 2, 3].map((i) => sealer.seal(Buffer.from(String(i)))));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const error = (r as PromiseRejectedResult).reason as SealpostError;
      expect([error.code, error.transient]).toEqual(['KMS_THROTTLED', true]);
    }
  });

  it('rejects batch bounds outside their ranges', async () => {
    const pair = await keyPair('ec-p256');
    const signer = createLocalSigner(pair.privateKeyPem);
    for (const bad of [{ maxMessages: 0 }, { maxMessages: 65_537 }, { maxMessages: 1.5 }, { maxDelayMs: -1 }, { maxDelayMs: 60_001 }]) {
      expect(() => createBatchSigner(signer, bad)).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
    }
  });

  it('the streaming sealer and opener carry the batch form too', async () => {
    const { sealer, opener } = await parties('ec-p384', ['rsa-2048'], { batchSigning: { maxMessages: 2, maxDelayMs: 60_000 } });
    const dir = await tempDir();
    writeFileSync(join(dir, 'a.txt'), 'first');
    writeFileSync(join(dir, 'b.txt'), 'second');
    await Promise.all([sealer.sealFile(join(dir, 'a.txt'), join(dir, 'a.sp')), sealer.sealFile(join(dir, 'b.txt'), join(dir, 'b.sp'))]);
    const opened = await opener.openFile(join(dir, 'b.sp'), { payloadPath: join(dir, 'b.out') });
    expect(readFileSync(join(dir, 'b.out'), 'utf8')).toBe('second');
    expect(decodeStatement(opened.batch!.statement).count).toBe(2);
  });
});

describe('the statement cache', () => {
  it('verifies a statement once for a whole batch, and a wrong signature beside a cached one still fails', async () => {
    const pair = await keyPair('ec-p256');
    const trusted = createLocalTrustedSender(pair.publicKeyPem);
    let verifications = 0;
    const sender = { ...trusted, verifier: { verify: (...args: Parameters<typeof trusted.verifier.verify>) => (verifications++, trusted.verifier.verify(...args)) } };
    const { sealer, opener } = await parties('ec-p256', ['rsa-2048'], { batchSigning: { maxMessages: 8 } }, { trust: createTrustStore([sender]) });
    const sealed = await Promise.all(Array.from({ length: 8 }, (_, i) => sealer.seal(Buffer.from(`m${i}`))));
    await Promise.all(sealed.map((s) => opener.open(s.envelope)));
    expect(verifications).toBe(1);

    const cache = createStatementCache();
    const statement = Buffer.from('statement');
    const good = await createLocalSigner(pair.privateKeyPem).sign(statement);
    expect(await cache.verify(sender, statement, good)).toBe(true);
    expect(await cache.verify(sender, statement, Buffer.from(good).fill(1, 10, 12))).toBe(false);
    expect(await cache.verify(sender, statement, good)).toBe(true);
  });

  it('rejects bounds that are not positive integers', () => {
    expect(() => createStatementCache({ maxEntries: 0 })).toThrow(SealpostError);
    expect(() => createStatementCache({ ttlMs: -1 })).toThrow(SealpostError);
  });
});

describe('independent evidence', () => {
  it('openssl verifies the statement signature from the extracted bundle, and the proof recomputes to its root', async () => {
    const { sealer, opener, sender } = await parties('ec-p521', ['rsa-2048'], { batchSigning: { maxMessages: 3 } });
    const sealed = await Promise.all([0, 1, 2].map((i) => sealer.seal(Buffer.from(`evidence ${i}`), { name: 'm.txt' })));
    const dir = await tempDir();
    await opener.openFile(await writeTo(dir, 'e.sp', sealed[2]!.envelope), { payloadPath: join(dir, 'out'), bundlePath: join(dir, 'bundle.tar') });
    await run('tar', ['-xf', join(dir, 'bundle.tar'), '-C', dir]);
    writeFileSync(join(dir, 'sender.pub.pem'), sender.publicKeyPem);
    const { stdout } = await run('openssl', ['dgst', '-sha512', '-verify', join(dir, 'sender.pub.pem'), '-signature', join(dir, 'statement.sig'), join(dir, 'statement.cbor')]);
    expect(stdout).toContain('Verified OK');
    const statement = decodeStatement(readFileSync(join(dir, 'statement.cbor')));
    const proof = decodeProof(readFileSync(join(dir, 'proof.cbor')));
    expect(rootFromProof(leafHash(readFileSync(join(dir, 'manifest.cbor'))), proof.index, statement.count, proof.path)?.equals(Buffer.from(statement.root))).toBe(true);
  });

  it('verifyEvidence re-verifies stored evidence of both forms and rejects a tampered proof', async () => {
    const single = await parties('ec-p256');
    const one = await single.opener.open((await single.sealer.seal(Buffer.from('x'))).envelope);
    expect((await verifyEvidence(single.trust, one.manifestBytes, one.signature)).id).toBe(one.manifest.id);

    const batched = await parties('ec-p256', ['rsa-2048'], { batchSigning: { maxMessages: 2 } });
    const sealed = await Promise.all([batched.sealer.seal(Buffer.from('a')), batched.sealer.seal(Buffer.from('b'))]);
    const [a, b] = await Promise.all(sealed.map((s) => batched.opener.open(s.envelope)));
    expect((await verifyEvidence(batched.trust, a!.manifestBytes, a!.signature)).id).toBe(a!.manifest.id);
    expect(Buffer.from(decodeEvidence(a!.signature).batch!.statement).equals(a!.batch!.statement)).toBe(true);
    // a's manifest with b's evidence: the proof is for another leaf.
    expect(await codeOf(verifyEvidence(batched.trust, a!.manifestBytes, b!.signature))).toBe('BATCH_PROOF_INVALID');
  });
});

async function writeTo(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}
