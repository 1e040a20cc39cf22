import { createHash, createSecretKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { createLocalKeyWrapper, createLocalSigner, createSealer, DEFAULT_LIMITS, encodeManifest, decodeManifest, uuidv7, type Manifest } from '@sealpost/envelope';
import { bundleParts, parseBundle } from '../../packages/envelope/src/bundle/bundle.ts';
import { deriveMessageKeys } from '../../packages/envelope/src/format/derive.ts';
import { decryptFrames, encryptFrames } from '../../packages/envelope/src/format/frames.ts';
import { encodeHeader, parseHeader } from '../../packages/envelope/src/format/header.ts';
import { rateSync, type Plan } from '../lib/measure.ts';
import type { Row } from '../lib/report.ts';

/** Microseconds per message of each step of a 1 KiB seal and open, on the calling thread. */
export interface Breakdown {
  readonly sealStepsUs: number;
  readonly openStepsUs: number;
}

/**
 * Section 2b: where the time of one 1 KiB message goes, step by step, each on the calling
 * thread. The sum is the floor of Sealpost's own work per message on one core, beside the
 * ECDSA operation it cannot avoid.
 */
export async function breakdownSection(plan: Plan): Promise<{ rows: Row[]; breakdown: Breakdown }> {
  const section = '2b. Where the time of one 1 KiB message goes (one thread, microseconds per message)';
  const signing = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const encryption = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signer = createLocalSigner(signing.privateKey);
  const wrapper = createLocalKeyWrapper(encryption.publicKey);
  // A real sealed message for the open steps.
  const sealer = createSealer({ signer, recipients: [wrapper], dataKeyReuse: true });
  const payload = Buffer.from(JSON.stringify({ data: 'x'.repeat(1000) }).slice(0, 1024));
  const { envelope } = await sealer.seal(payload, { name: 'message.json', contentType: 'application/json' });

  const dataKey = createSecretKey(randomBytes(32));
  const recipients = Object.freeze([{ keyId: wrapper.keyId, algorithm: wrapper.algorithm, wrappedKey: await wrapper.wrap(randomBytes(32)) }]);
  const recipientIds = Object.freeze([wrapper.keyId]);
  const salt = randomBytes(32);
  const manifest: Manifest = {
    id: uuidv7(),
    created: new Date(),
    sender: { keyId: signer.keyId, algorithm: signer.algorithm },
    recipients: recipientIds,
    payload: { name: 'message.json', contentType: 'application/json', size: payload.length, sha256: createHash('sha256').update(payload).digest() },
    metadata: {},
  };
  const manifestBytes = encodeManifest(manifest);
  const signature = sign('sha256', manifestBytes, signing.privateKey);
  const { contentKey, commitment } = deriveMessageKeys(dataKey, salt);
  const header = encodeHeader({ recipients, salt, commitment, frameSize: 65536, compression: 'none' });
  const bundle = bundleParts({ payloadName: 'message.json', payload, manifest: manifestBytes, signature }, 0);
  const frames = Buffer.concat(encryptFrames(bundle, contentKey, header.hash, 65536));
  const parsed = parseHeader(envelope, DEFAULT_LIMITS);
  const plain = Buffer.concat(bundle);

  const us = (op: () => unknown) => 1e6 / rateSync(op, plan).median;
  const seal: [string, number][] = [
    ['seal: SHA-256 of the payload', us(() => createHash('sha256').update(payload).digest())],
    ['seal: manifest (deterministic CBOR)', us(() => encodeManifest(manifest))],
    ['seal: HKDF content key and commitment', us(() => deriveMessageKeys(dataKey, salt))],
    ['seal: header (CBOR, SHA-256 for the AAD)', us(() => encodeHeader({ recipients, salt, commitment, frameSize: 65536, compression: 'none' }))],
    ['seal: tar bundle', us(() => bundleParts({ payloadName: 'message.json', payload, manifest: manifestBytes, signature }, 0))],
    ['seal: AES-256-GCM frame', us(() => encryptFrames(bundle, contentKey, header.hash, 65536))],
  ];
  const open: [string, number][] = [
    ['open: header (strict CBOR, SHA-256 for the AAD)', us(() => parseHeader(envelope, DEFAULT_LIMITS))],
    ['open: HKDF content key and commitment', us(() => deriveMessageKeys(dataKey, parsed.header.salt))],
    ['open: AES-256-GCM frame', us(() => decryptFrames(frames, contentKey, header.hash, 65536, 1 << 20))],
    ['open: tar bundle (strict)', us(() => parseBundle(plain, DEFAULT_LIMITS))],
    ['open: manifest (strict CBOR)', us(() => decodeManifest(manifestBytes, DEFAULT_LIMITS))],
    ['open: SHA-256 of the payload', us(() => createHash('sha256').update(payload).digest())],
  ];
  const signUs = us(() => sign('sha256', manifestBytes, signing.privateKey));
  const verifyUs = us(() => verify('sha256', manifestBytes, signing.publicKey, signature));
  const sealStepsUs = seal.reduce((sum, [, v]) => sum + v, 0);
  const openStepsUs = open.reduce((sum, [, v]) => sum + v, 0);
  const row = (name: string, value: number, note = ''): Row => ({ section, name, value: { median: value, min: value, max: value, reps: 1 }, unit: 'µs', note });
  return {
    rows: [
      ...seal.map(([name, value]) => row(name, value)),
      row('seal: all of Sealpost\'s own steps', sealStepsUs, `one ECDSA P-256 sign on this thread: ${signUs.toFixed(1)} µs`),
      ...open.map(([name, value]) => row(name, value)),
      row('open: all of Sealpost\'s own steps', openStepsUs, `one ECDSA P-256 verify on this thread: ${verifyUs.toFixed(1)} µs`),
    ],
    breakdown: { sealStepsUs, openStepsUs },
  };
}
