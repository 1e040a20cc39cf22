import { createPrivateKey, createPublicKey, hash, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import {
  DEFAULT_LIMITS,
  createLocalKeyUnwrapper,
  createLocalKeyWrapper,
  createLocalSigner,
  createLocalTrustedSender,
  createOpener,
  createSealer,
  createStatementCache,
  createTrustStore,
  decodeManifest,
  decodeProof,
  encodeManifest,
  encodeProof,
  buildTree,
  leafHash,
  type LocalKeyPair,
  type Manifest,
} from '@sealpost/envelope';
import { bundleParts, parseBundle } from '../../packages/envelope/src/bundle/bundle.ts';
import { deriveMessageKeys } from '../../packages/envelope/src/format/derive.ts';
import { decryptFrameParts, encryptFrames } from '../../packages/envelope/src/format/frames.ts';
import { encodeHeader, parseHeader } from '../../packages/envelope/src/format/header.ts';
import { cachingUnwrapper } from '../../packages/envelope/src/keys/data-key-cache.ts';
import { checkMessageOptions } from '../../packages/envelope/src/seal/sealer.ts';
import { uuidv7 } from '../../packages/envelope/src/uuid.ts';
import { randomPoolBytes } from '../../packages/envelope/src/random.ts';
import { cpuSeconds, samples, type Plan } from '../lib/measure.ts';

const cpuMs = () => cpuSeconds() * 1000;

/** A step to time: synchronous, or awaited one call at a time. */
interface Probe {
  readonly name: string;
  readonly run: () => unknown;
}

/**
 * CPU microseconds per call of each probe, measured in turns: every repetition runs each probe
 * for about a quarter of `plan.repMs` of this process's CPU time, and each probe's figure is the
 * median of its repetitions (after a warm-up turn). CPU time rather than wall time, and in turns,
 * because on a shared machine another process's burst stretches the wall clock of whatever runs,
 * and lands on every probe alike rather than on one.
 */
async function cpuUsInTurns(probes: readonly Probe[], plan: Plan): Promise<Map<string, number>> {
  const reps = new Map<string, number[]>(probes.map((p) => [p.name, []]));
  for (let rep = 0; rep <= plan.reps; rep++) {
    for (const probe of probes) {
      let done = 0;
      const started = cpuMs();
      const until = started + plan.repMs / 4;
      while (cpuMs() < until) {
        for (let i = 0; i < 32; i++) {
          const result = probe.run();
          if (result instanceof Promise) await result;
        }
        done += 32;
      }
      if (rep > 0) reps.get(probe.name)!.push(((cpuMs() - started) * 1000) / done);
    }
  }
  return new Map([...reps].map(([name, values]) => [name, samples(values).median]));
}

/** One step and its CPU cost per message, in µs. */
export type Step = readonly [name: string, us: number];

/** The per-message steps of a batch-signed 1 KiB seal and open, and the yardsticks beside them. */
export interface BatchBreakdown {
  readonly seal: readonly Step[];
  readonly open: readonly Step[];
  /** A whole open one at a time (steps, trust lookup, checks, promises). */
  readonly openWholeUs: number;
  readonly verifyUs: { readonly p256: number; readonly p521: number };
  readonly signP256Us: number;
}

/**
 * Where the CPU time of one batch-signed 1 KiB message goes, step by step, the way the sealer and
 * the opener run them (data-key reuse on the sender, data-key and statement caches on the
 * receiver, a batch of 256): the floor of each side's own work, beside one ECDSA verification.
 */
export async function batchBreakdown(plan: Plan, recipient: LocalKeyPair, p256: LocalKeyPair, p521: LocalKeyPair): Promise<BatchBreakdown> {
  const payload = Buffer.alloc(1024, 0x61);
  const signer = createLocalSigner(p256.privateKeyPem);
  const wrapper = createLocalKeyWrapper(recipient.publicKeyPem);
  const sealer = createSealer({ signer, recipients: [wrapper], dataKeyReuse: true, batchSigning: { maxMessages: 256, maxDelayMs: 1000 } });
  const sealed = await Promise.all(Array.from({ length: 256 }, (_, i) => sealer.seal(payload, { name: `m${i}.json`, contentType: 'application/json' })));
  const envelope = sealed[77]!.envelope;
  const trusted = createLocalTrustedSender(p256.publicKeyPem);
  const unwrapper = cachingUnwrapper(createLocalKeyUnwrapper(recipient.privateKeyPem));

  // The open path's intermediate values, each step fed what the one before it produced.
  const parsed = parseHeader(envelope, DEFAULT_LIMITS);
  const wrapped = parsed.header.recipients[0]!.wrappedKey;
  const dataKey = (await unwrapper.unwrapKey(wrapped)).key!;
  const { contentKey } = deriveMessageKeys(dataKey, parsed.header.salt);
  const ciphertext = envelope.subarray(parsed.length);
  const [bundle] = decryptFrameParts(ciphertext, contentKey, parsed.hash, parsed.header.frameSize, 1 << 20);
  const parts = parseBundle(bundle!, DEFAULT_LIMITS);
  const batch = parts.batch!;
  const cache = createStatementCache();
  await cache.verify(trusted, batch.statement, parts.signature);
  const held = cache.lookup(trusted, batch.statement, parts.signature)!;
  // Every proof of the batch once, in order, as a receiver reads them: the nodes are then known.
  for (const s of sealed) {
    const h = parseHeader(s.envelope, DEFAULT_LIMITS);
    const key = deriveMessageKeys(dataKey, h.header.salt).contentKey;
    const p = parseBundle(decryptFrameParts(s.envelope.subarray(h.length), key, h.hash, h.header.frameSize, 1 << 20)[0]!, DEFAULT_LIMITS);
    const proof = decodeProof(p.batch!.proof);
    held.root(leafHash(p.manifest), proof.index, proof.path);
  }
  const sha256 = (data: Uint8Array) => Buffer.from(hash('sha256', data, 'base64'), 'base64');
  const openProbes: Probe[] = [
    { name: 'open: header (strict CBOR, SHA-256 for the AAD)', run: () => parseHeader(envelope, DEFAULT_LIMITS) },
    { name: 'open: data key from the receiver cache (SHA-256 of the wrapped key, lookup)', run: () => unwrapper.unwrapKey(wrapped) },
    { name: 'open: HKDF content key, key commitment check', run: () => timingSafeEqual(deriveMessageKeys(dataKey, parsed.header.salt).commitment, parsed.header.commitment) },
    { name: 'open: AES-256-GCM, one frame', run: () => decryptFrameParts(ciphertext, contentKey, parsed.hash, parsed.header.frameSize, 1 << 20) },
    { name: 'open: tar bundle (strict, five entries)', run: () => parseBundle(bundle!, DEFAULT_LIMITS) },
    { name: 'open: SHA-256 of the payload', run: () => sha256(parts.payload) },
    { name: 'open: manifest (strict CBOR, checks)', run: () => decodeManifest(parts.manifest, DEFAULT_LIMITS) },
    { name: 'open: statement cache lookup (SHA-256 of signature and statement)', run: () => cache.lookup(trusted, batch.statement, parts.signature) },
    {
      name: "open: proof (strict CBOR), leaf hash, root from the proof reusing the batch's known nodes",
      run: () => {
        const proof = decodeProof(batch.proof);
        return held.root(leafHash(parts.manifest), proof.index, proof.path);
      },
    },
  ];

  // A whole open, one at a time, from the same warm caches.
  const opener = createOpener({ keys: createLocalKeyUnwrapper(recipient.privateKeyPem), trust: createTrustStore([trusted]) });
  for (const s of sealed) await opener.open(s.envelope);
  let next = 0;
  const whole: Probe = { name: 'whole open', run: () => opener.open(sealed[next++ % sealed.length]!.envelope) };

  // The seal path's steps, on the same shapes of values.
  const recipients = Object.freeze([{ keyId: wrapper.keyId, algorithm: wrapper.algorithm, wrappedKey: wrapped }]);
  const recipientIds = Object.freeze([wrapper.keyId]);
  const created = Date.now();
  const manifest: Manifest = {
    id: uuidv7(created),
    created: new Date(created),
    sender: { keyId: signer.keyId, algorithm: signer.algorithm },
    recipients: recipientIds,
    payload: { name: 'm77.json', contentType: 'application/json', size: payload.length, sha256: sha256(payload) },
    metadata: {},
  };
  const manifestBytes = encodeManifest(manifest);
  const salt = randomBytes(32);
  const { commitment } = deriveMessageKeys(dataKey, salt);
  const header = encodeHeader({ recipients, salt, commitment, frameSize: 65536, compression: 'none' });
  const leaves = Array.from({ length: 256 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const tree = buildTree(leaves);
  const evidence = { signature: parts.signature, batch: { statement: batch.statement, proof: batch.proof } };
  const bundleOut = bundleParts({ payloadName: 'm77.json', payload, manifest: manifestBytes, ...evidence }, Math.floor(created / 1000));
  let calls = 0;
  const sealProbes: Probe[] = [
    {
      name: 'seal: options check, id, SHA-256 of the payload, manifest (deterministic CBOR)',
      run: () => {
        checkMessageOptions({ name: 'm77.json', contentType: 'application/json' });
        return encodeManifest({ ...manifest, id: uuidv7(created), payload: { ...manifest.payload, sha256: sha256(payload) } });
      },
    },
    { name: 'seal: salt, HKDF content key and commitment', run: () => deriveMessageKeys(dataKey, randomPoolBytes(32)) },
    { name: 'seal: header (CBOR, SHA-256 for the AAD)', run: () => encodeHeader({ recipients, salt, commitment, frameSize: 65536, compression: 'none' }) },
    {
      name: 'seal: leaf hash, 1/256 of the tree, proof (CBOR)',
      run: () => {
        // Every 256th call builds the tree of a batch: its share per message.
        if (++calls % 256 === 0) buildTree(leaves);
        leafHash(manifestBytes);
        return encodeProof({ index: 77, path: tree.paths[77]! });
      },
    },
    { name: 'seal: tar bundle (five entries)', run: () => bundleParts({ payloadName: 'm77.json', payload, manifest: manifestBytes, ...evidence }, Math.floor(created / 1000)) },
    { name: 'seal: AES-256-GCM, one frame, envelope bytes', run: () => Buffer.concat([header.bytes, ...encryptFrames(bundleOut, contentKey, header.hash, 65536)]) },
  ];

  const data = Buffer.alloc(400, 1);
  const key256 = createPublicKey(p256.publicKeyPem);
  const key521 = createPublicKey(p521.publicKeyPem);
  const sig256 = sign('sha256', data, p256.privateKeyPem);
  const sig521 = sign('sha512', data, p521.privateKeyPem);
  const privateP256 = createPrivateKey(p256.privateKeyPem);
  const yardsticks: Probe[] = [
    { name: 'verify p256', run: () => verify('sha256', data, key256, sig256) },
    { name: 'verify p521', run: () => verify('sha512', data, key521, sig521) },
    { name: 'sign p256', run: () => sign('sha256', data, privateP256) },
  ];
  const us = await cpuUsInTurns([...sealProbes, ...openProbes, whole, ...yardsticks], plan);
  const steps = (probes: readonly Probe[]): Step[] => probes.map((p) => [p.name, us.get(p.name)!]);
  return {
    seal: steps(sealProbes),
    open: steps(openProbes),
    openWholeUs: us.get('whole open')!,
    verifyUs: { p256: us.get('verify p256')!, p521: us.get('verify p521')! },
    signP256Us: us.get('sign p256')!,
  };
}
