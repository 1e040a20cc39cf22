/**
 * Known-answer vectors for envelope format v1 (FORMAT.md), one file per scenario in
 * test-vectors/v1, built from fixed inputs by the format's own low-level functions: fixed test
 * keys (test-vectors/keys), and per scenario a fixed data key, salt, message id and creation
 * time. Only the randomized algorithms differ between runs — RSA-OAEP wrapping and ECDSA
 * signing (and the gzip stream, which depends on the zlib build) — so the files are generated
 * once and committed, and the test suite verifies the committed files (verify-only vectors).
 *
 *   node packages/envelope/scripts/generate-vectors.ts                  every vector (and missing keys)
 *   node packages/envelope/scripts/generate-vectors.ts --only a,b       only the named vectors
 *   node packages/envelope/scripts/generate-vectors.ts --worked-example print FORMAT.md's worked example
 *   node packages/envelope/scripts/generate-vectors.ts --batch-worked-example  print the batch form's worked example (section 15)
 *
 * Regenerating p256_rsa2048 changes its wrapped key and signature: paste the new
 * `--worked-example` output into FORMAT.md (the tests compare the two).
 */
import { constants, createCipheriv, createHash, createSecretKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bundleHead, bundleParts } from '../src/bundle/bundle.ts';
import { BLOCK } from '../src/bundle/ustar.ts';
import { encodeCanonical, type CborValue } from '../src/cbor.ts';
import { KEY_INFO, deriveMessageKeys } from '../src/format/derive.ts';
import { TAG_BYTES, decryptFrames, encryptFrames, frameNonce } from '../src/format/frames.ts';
import { DEFAULT_FRAME_SIZE, MAGIC, PREFIX_BYTES, VERSION, encodeHeader, parseHeader, type Compression, type EnvelopeHeader, type RecipientEntry } from '../src/format/header.ts';
import { resolveLimits } from '../src/limits.ts';
import { encodeManifest } from '../src/manifest.ts';
import { decodeProof, decodeStatement, encodeProof, encodeStatement, type BatchStatement, type InclusionProof } from '../src/batch/statement.ts';
import { buildTree, leafHash, nodeHash, type MerkleTree } from '../src/batch/tree.ts';
import type { Manifest } from '../src/message.ts';
import { certificateDigests, createLocalKeyWrapper, createLocalSigner, generateLocalKeyPair, localKeyId, parseCertificateChain, signingAlgorithmOf, toPrivateKey, toPublicKey, type LocalKeyType, type SigningAlgorithm } from '../src/index.ts';

/** The test-vectors directory at the repository root. */
export const VECTORS_ROOT = resolve(import.meta.dirname, '../../../test-vectors');
const KEYS_DIR = join(VECTORS_ROOT, 'keys');
const OUT_DIR = join(VECTORS_ROOT, 'v1');

/** DER certificates of fixture files (made by scripts/make-certificate-fixtures.sh), relative to test-vectors/. */
function certificatesOf(paths: readonly string[]): Uint8Array[] {
  return paths.flatMap((path) => parseCertificateChain(readFileSync(join(VECTORS_ROOT, path), 'utf8')));
}

/** Test-only keys, by the `sealpost keygen` type they were made as: generated once if missing, then committed. */
const KEY_SPECS = {
  'ec-p256': 'ec-p256',
  'ec-p384': 'ec-p384',
  'ec-p521': 'ec-p521',
  'ec-secp256k1': 'ec-secp256k1',
  'ec-p256-stranger': 'ec-p256',
  'rsa-2048': 'rsa-2048',
  'rsa-2048-other': 'rsa-2048',
  'rsa-3072': 'rsa-3072',
  'rsa-4096': 'rsa-4096',
} as const satisfies Record<string, LocalKeyType>;
/** A fixture key: `keys/<name>.pem` and `keys/<name>.pub.pem`. */
export type KeyName = keyof typeof KEY_SPECS;

const privateKey = (name: KeyName): KeyObject => toPrivateKey(readFileSync(join(KEYS_DIR, `${name}.pem`), 'utf8'));
const publicKey = (name: KeyName): KeyObject => toPublicKey(readFileSync(join(KEYS_DIR, `${name}.pub.pem`), 'utf8'));
const keyIdOf = (name: KeyName): string => localKeyId(publicKey(name));

/** Creation time of every vector unless a scenario says otherwise: 2026-01-01T00:00:00Z. */
export const CREATED = 1_767_225_600_000;
/** The reader's clock in every vector: one minute after {@link CREATED}. */
export const NOW = CREATED + 60_000;
const DAY = 86_400_000;

/** A fixed 32-byte value: SHA-256 of `sealpost test vector: <label>`. */
export function fixed(label: string): Buffer {
  return createHash('sha256').update(`sealpost test vector: ${label}`).digest();
}

/** A UUIDv7 for `created` whose random bits are fixed by `label`. */
function fixedUuidV7(created: number, label: string): string {
  const b = fixed(label).subarray(0, 16);
  b.writeUIntBE(created, 0, 6);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `length` bytes of printable text fixed by `label`: hex digits of SHA-256 outputs, no long repeats. */
function fixedText(label: string, length: number): Buffer {
  let text = '';
  for (let block = 0; text.length < length; block++) text += fixed(`${label} ${block}`).toString('hex');
  return Buffer.from(text.slice(0, length), 'latin1');
}

/**
 * The randomized operations a vector needs. Generation uses the real ones; the tests replay the
 * values recorded in a committed file to check that everything else is reproduced exactly.
 */
export interface Randomness {
  /** RSA-OAEP (SHA-256 unless `hash` says otherwise) of `dataKey` to the named key. */
  wrap(recipient: KeyName, dataKey: Buffer, hash?: 'sha256' | 'sha1'): Promise<Uint8Array>;
  /** DER ECDSA signature of `data` by the named key, with its curve's hash. */
  sign(signer: KeyName, data: Uint8Array): Promise<Uint8Array>;
  /** The gzip stream of a bundle. */
  gzip(bundle: Buffer): Promise<Buffer>;
}

/** Real randomness: node:crypto and zlib, as Sealpost's sealer uses them. */
export const REAL_RANDOMNESS: Randomness = {
  async wrap(recipient, dataKey, hash = 'sha256') {
    if (hash === 'sha256') return createLocalKeyWrapper(publicKey(recipient)).wrap(dataKey);
    return publicEncrypt({ key: publicKey(recipient), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, dataKey);
  },
  sign: (signer, data) => createLocalSigner(privateKey(signer)).sign(data),
  gzip: (bundle) => Promise.resolve(gzipSync(bundle)),
};

/** A built scenario: the envelope and what a reader is told or checks about it. */
export interface BuiltVector {
  readonly envelope: Buffer;
  /** The tar bundle before compression. */
  readonly bundle: Buffer;
  readonly dataKey: Buffer;
  readonly payload: Buffer;
  readonly id: string;
}

/**
 * The batch form (FORMAT.md section 15): the vector's manifest is leaf `index` of a batch of
 * `count`; the other leaves are `leafHash(fixed("<name> leaf <j>"))`, or the same manifest again
 * at `duplicateAt`. The statement is created 10 ms after the manifest.
 */
export interface BatchScenario {
  readonly count: number;
  readonly index: number;
  readonly duplicateAt?: number;
  /** Who signs the statement. @defaultValue the scenario's sender */
  readonly signer?: KeyName;
  // Hooks, each introducing the scenario's one defect.
  readonly statement?: (s: BatchStatement) => BatchStatement;
  readonly encodeStatement?: (s: BatchStatement) => Buffer;
  readonly proof?: (p: InclusionProof, tree: MerkleTree) => InclusionProof;
  readonly encodeProof?: (p: InclusionProof) => Buffer;
}

/** One vector: its inputs, its single defect (hooks), and what a reader must conclude. */
export interface Scenario {
  readonly name: string;
  readonly comment: string;
  /** `success`, or `error <CODE>`. */
  readonly expect: string;
  readonly sender?: KeyName;
  readonly recipients?: readonly KeyName[];
  /** The key the reader opens with. @defaultValue rsa-2048 when addressed, else the first recipient */
  readonly reader?: KeyName;
  /** The reader's trusted senders. @defaultValue [sender], or none when the reader trusts a CA */
  readonly trusted?: readonly KeyName[];
  /** Certificate fixtures (paths under test-vectors/) the bundle carries, leaf first. */
  readonly certificates?: readonly string[];
  /** Fixtures the manifest binds, when they differ from those carried. @defaultValue certificates */
  readonly boundCertificates?: readonly string[];
  /** CA certificate fixtures the reader trusts. */
  readonly trustedCa?: readonly string[];
  /** CRL fixtures the reader holds. */
  readonly crls?: readonly string[];
  readonly payload?: Buffer;
  readonly payloadName?: string;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly compression?: Compression;
  readonly frameSize?: number;
  readonly created?: number;
  /** Sign in the batch form instead of with `manifest.sig`. */
  readonly batch?: BatchScenario;
  /** Limits the reader applies instead of the defaults. */
  readonly limits?: Readonly<Record<string, number>>;
  /** The bundle must end exactly on a frame boundary (so the last frame is full). */
  readonly fullLastFrame?: boolean;
  // Hooks, each introducing the scenario's one defect.
  readonly manifest?: (m: Manifest) => Manifest;
  readonly encodeManifest?: (m: Manifest) => Buffer;
  /** Makes `manifest.sig` over the manifest, or in the batch form `statement.sig` over the statement. */
  readonly sign?: (signed: Buffer, random: Randomness) => Promise<Uint8Array>;
  readonly bundle?: (p: { payload: Buffer; manifest: Buffer; signature: Uint8Array; batch?: { statement: Buffer; proof: Buffer }; name: string; mtime: number }) => Buffer;
  readonly plaintext?: (bundle: Buffer) => Buffer;
  readonly entries?: (entries: RecipientEntry[], dataKey: Buffer, random: Randomness) => Promise<RecipientEntry[]> | RecipientEntry[];
  readonly commitment?: (commitment: Buffer) => Buffer;
  readonly encodeHeader?: (h: EnvelopeHeader) => Buffer;
  /** Frame layout: plaintext slices with their last-frame flags. */
  readonly frames?: (plaintext: Buffer, frameSize: number) => [Buffer, boolean][];
  /** A header written in place of the one the frames were encrypted under. */
  readonly tamperHeader?: (h: EnvelopeHeader) => EnvelopeHeader;
  readonly edit?: (envelope: Buffer) => Buffer;
}

const DEFAULT_PAYLOAD = Buffer.from('{"vector":true}\n');

/** What the reader of a scenario holds. */
export function readerOf(s: Scenario): { key: KeyName; trusted: readonly KeyName[] } {
  const recipients = s.recipients ?? ['rsa-2048'];
  return { key: s.reader ?? (recipients.includes('rsa-2048') ? 'rsa-2048' : recipients[0]!), trusted: s.trusted ?? (s.trustedCa ? [] : [s.sender ?? 'ec-p256']) };
}

/** Builds a scenario's envelope from its fixed inputs and the given randomness. */
export async function buildVector(s: Scenario, random: Randomness): Promise<BuiltVector> {
  const sender = s.sender ?? 'ec-p256';
  const recipients = s.recipients ?? ['rsa-2048'];
  const payload = s.payload ?? DEFAULT_PAYLOAD;
  const name = s.payloadName ?? 'message.json';
  const created = s.created ?? CREATED;
  const mtime = Math.floor(created / 1000);
  const id = fixedUuidV7(created, `${s.name} id`);
  let manifest: Manifest = {
    id,
    created: new Date(created),
    sender: {
      keyId: keyIdOf(sender),
      algorithm: signingAlgorithmOf(publicKey(sender)),
      ...(s.certificates ? { certificates: certificateDigests(certificatesOf(s.boundCertificates ?? s.certificates)) } : {}),
    },
    recipients: recipients.map(keyIdOf),
    payload: { name, contentType: s.contentType ?? 'application/json', size: payload.length, sha256: createHash('sha256').update(payload).digest() },
    metadata: s.metadata ?? {},
  };
  if (s.manifest) manifest = s.manifest(manifest);
  const manifestBytes = s.encodeManifest ? s.encodeManifest(manifest) : Buffer.from(encodeManifest(manifest));
  const batch = s.batch ? batchEntries(s, s.batch, manifestBytes, created) : undefined;
  const signed = batch?.statement ?? manifestBytes;
  const signature = s.sign ? await s.sign(signed, random) : await random.sign(s.batch?.signer ?? sender, signed);
  const bundle = s.bundle
    ? s.bundle({ payload, manifest: manifestBytes, signature, ...(batch ? { batch } : {}), name, mtime })
    : Buffer.concat(bundleParts({ payloadName: name, payload, manifest: manifestBytes, signature, ...(batch ? { batch } : {}), certificates: certificatesOf(s.certificates ?? []) }, mtime));
  const compression = s.compression ?? 'none';
  const plaintext = s.plaintext ? s.plaintext(bundle) : compression === 'gzip' ? await random.gzip(bundle) : bundle;
  const frameSize = s.frameSize ?? DEFAULT_FRAME_SIZE;
  if (s.fullLastFrame && plaintext.length % frameSize !== 0) throw new Error(`${s.name}: the bundle (${plaintext.length} bytes) must fill its last frame`);

  const dataKey = fixed(`${s.name} data key`);
  const salt = fixed(`${s.name} salt`);
  const { contentKey, commitment } = deriveMessageKeys(createSecretKey(dataKey), salt);
  let entries: RecipientEntry[] = [];
  for (const r of recipients) entries.push({ keyId: keyIdOf(r), algorithm: 'RSAES_OAEP_SHA_256', wrappedKey: await random.wrap(r, dataKey) });
  if (s.entries) entries = await s.entries(entries, dataKey, random);
  const fields: EnvelopeHeader = { recipients: entries, salt, commitment: s.commitment ? s.commitment(commitment) : commitment, frameSize, compression };
  const header = s.encodeHeader ? withPrefix(s.encodeHeader(fields)) : encodeHeader(fields).bytes;
  const aad = createHash('sha256').update(header).digest();
  const frames = s.frames
    ? Buffer.concat(s.frames(plaintext, frameSize).map(([slice, last], i) => sealFrame(contentKey, aad, i, last, slice)))
    : Buffer.concat(encryptFrames([plaintext], contentKey, aad, frameSize));
  const written = s.tamperHeader ? encodeHeader(s.tamperHeader(fields)).bytes : header;
  const envelope = Buffer.concat([written, frames]);
  return { envelope: s.edit ? s.edit(envelope) : envelope, bundle, dataKey, payload, id };
}

/** The batch form's statement and proof for a scenario's manifest. */
function batchEntries(s: Scenario, b: BatchScenario, manifest: Buffer, created: number): { statement: Buffer; proof: Buffer } {
  const leaves = Array.from({ length: b.count }, (_, j) => (j === b.index || j === b.duplicateAt ? leafHash(manifest) : leafHash(fixed(`${s.name} leaf ${j}`))));
  const tree = buildTree(leaves);
  const signer = b.signer ?? s.sender ?? 'ec-p256';
  let statement: BatchStatement = { root: tree.root, count: b.count, sender: { keyId: keyIdOf(signer), algorithm: signingAlgorithmOf(publicKey(signer)) }, created: created + 10 };
  if (b.statement) statement = b.statement(statement);
  let proof: InclusionProof = { index: b.index, path: tree.paths[b.index]! };
  if (b.proof) proof = b.proof(proof, tree);
  return {
    statement: b.encodeStatement ? b.encodeStatement(statement) : encodeStatement(statement),
    proof: b.encodeProof ? b.encodeProof(proof) : encodeProof(proof),
  };
}

function statementMap(st: BatchStatement): Record<string, CborValue> {
  return { count: st.count, created: st.created, root: st.root, sender: { alg: st.sender.algorithm, kid: st.sender.keyId }, type: 'sealpost batch statement v1' };
}

/** Prefix (magic, version, length) before hand-made header CBOR. */
function withPrefix(cbor: Buffer): Buffer {
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix);
  prefix[MAGIC.length] = VERSION;
  prefix.writeUInt32BE(cbor.length, MAGIC.length + 1);
  return Buffer.concat([prefix, cbor]);
}

/** One frame with a chosen counter and last-frame flag: ciphertext then tag. */
function sealFrame(key: KeyObject, aad: Buffer, counter: number, last: boolean, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, frameNonce(counter, last));
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([body, cipher.getAuthTag()]);
}

/** The frame layout Sealpost writes: full frames, then a last one of 1..frameSize bytes. */
function frameSlices(plaintext: Buffer, frameSize: number): [Buffer, boolean][] {
  const count = Math.max(1, Math.ceil(plaintext.length / frameSize));
  return Array.from({ length: count }, (_, i) => [plaintext.subarray(i * frameSize, (i + 1) * frameSize), i === count - 1]);
}

/** The frames after the header, split at frame boundaries. */
function framesOf(envelope: Buffer, frameSize: number): { header: Buffer; frames: Buffer[] } {
  const end = PREFIX_BYTES + envelope.readUInt32BE(MAGIC.length + 1);
  const stride = frameSize + TAG_BYTES;
  const frames: Buffer[] = [];
  for (let at = end; at < envelope.length; at += stride) frames.push(envelope.subarray(at, at + stride));
  return { header: envelope.subarray(0, end), frames };
}

/**
 * Hand-made CBOR for the non-canonical scenarios: a map (of fewer than 24 entries) whose entries
 * come in the given order, each value already encoded, so it can be in a non-shortest form.
 */
function mapOf(entries: readonly (readonly [string, Buffer])[]): Buffer {
  if (entries.length >= 24) throw new Error('mapOf writes maps of at most 23 entries');
  return Buffer.concat([Buffer.of(0xa0 | entries.length), ...entries.flatMap(([k, v]) => [encodeCanonical(k), v])]);
}
const enc = (value: CborValue): Buffer => encodeCanonical(value);

function headerMap(h: EnvelopeHeader): Record<string, CborValue> {
  return {
    compression: h.compression,
    commitment: h.commitment,
    frameSize: h.frameSize,
    recipients: h.recipients.map((r) => ({ alg: r.algorithm, key: r.wrappedKey, kid: r.keyId })),
    salt: h.salt,
  };
}
function manifestMap(m: Manifest): Record<string, CborValue> {
  return {
    created: m.created.getTime(),
    id: m.id,
    metadata: m.metadata,
    payload: { name: m.payload.name, sha256: m.payload.sha256, size: m.payload.size, type: m.payload.contentType },
    recipients: [...m.recipients],
    sender: { alg: m.sender.algorithm, kid: m.sender.keyId },
    version: 1,
  };
}
/** Deterministic key order (length first, then bytewise), as a list. */
const canonicalOrder = (map: Record<string, CborValue>) => Object.keys(map).sort((a, b) => a.length - b.length || (a < b ? -1 : 1));

/** A tar of the given entries, each with Sealpost's ustar header, then `tail`. */
function tarOf(entries: readonly (readonly [string, Uint8Array])[], mtime: number, tail: Buffer = Buffer.alloc(2 * BLOCK)): Buffer {
  return Buffer.concat([...entries.flatMap(([n, data]) => [bundleHead(n, data.length, mtime), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]), tail]);
}
/** Rewrites a ustar header's checksum after an edit (so only the edit is wrong). */
function rechecksum(block: Buffer): Buffer {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0'), 148, 'latin1');
  block[154] = 0;
  block[155] = 0x20;
  return block;
}
const flipLastByte = (b: Buffer): Buffer => {
  const out = Buffer.from(b);
  out[out.length - 1]! ^= 0x01;
  return out;
};

/**
 * One gzip member of `bundle` whose length is a multiple of `multiple`: the member's header
 * carries an FEXTRA field (RFC 1952 section 2.3.1.1) of one padding subfield, so the member
 * fills its frames exactly.
 */
function paddedGzip(bundle: Buffer, multiple: number): Buffer {
  const plain = gzipSync(bundle);
  let extra = (multiple - ((plain.length + 2) % multiple)) % multiple;
  if (extra < 4) extra += multiple;
  const head = Buffer.of(0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff);
  const xlen = Buffer.alloc(2);
  xlen.writeUInt16LE(extra);
  const subfield = Buffer.alloc(extra);
  subfield.write('SP', 0, 'latin1');
  subfield.writeUInt16LE(extra - 4, 2);
  return Buffer.concat([head, xlen, subfield, plain.subarray(10)]);
}

const THREE: readonly KeyName[] = ['rsa-2048-other', 'rsa-2048', 'rsa-4096'];
const CHAIN = ['certs/ec-p256.pem', 'certs/intermediate.pem'];
const ROOT = ['certs/root.pem'];
const SEVERAL_FRAMES = { frameSize: 1024, payload: fixedText('several frames', 5000), payloadName: 'several-frames.txt', contentType: 'text/plain' } as const;
// 4,608 payload bytes make a bundle of exactly 8 KiB (3,584 bytes of tar framing, manifest and signature).
const FULL_FRAMES = { frameSize: 1024, payload: fixedText('full frames', 4608), payloadName: 'full-frames.txt', contentType: 'text/plain', fullLastFrame: true } as const;
// A gzip stream over several 1 KiB frames, the last one full: the member ends exactly where the last frame does.
const GZIP_FULL_FRAMES = { frameSize: 1024, compression: 'gzip', payload: fixedText('gzip frames', 6000), payloadName: 'gzip-frames.txt', contentType: 'text/plain', plaintext: (b: Buffer) => paddedGzip(b, 1024) } as const;

/** Every vector, positive first. Names say what is tested; each negative has exactly one defect. */
export const SCENARIOS: readonly Scenario[] = [
  { name: 'p256_rsa2048', comment: 'P-256 sender (ECDSA_SHA_256), one RSA-2048 recipient, one frame', expect: 'success' },
  { name: 'p384_rsa2048', comment: 'P-384 sender (ECDSA_SHA_384)', expect: 'success', sender: 'ec-p384' },
  { name: 'p521_rsa2048', comment: 'P-521 sender (ECDSA_SHA_512)', expect: 'success', sender: 'ec-p521' },
  { name: 'secp256k1_rsa2048', comment: 'secp256k1 sender (ECDSA_SHA_256)', expect: 'success', sender: 'ec-secp256k1' },
  { name: 'p256_rsa3072', comment: 'RSA-3072 recipient: a 384-byte wrapped key', expect: 'success', recipients: ['rsa-3072'] },
  { name: 'p521_rsa4096', comment: 'P-521 sender, RSA-4096 recipient: a 512-byte wrapped key', expect: 'success', sender: 'ec-p521', recipients: ['rsa-4096'] },
  { name: 'gzip', comment: 'gzip-compressed bundle', expect: 'success', compression: 'gzip', payload: Buffer.from('compressible '.repeat(200)), payloadName: 'text.txt', contentType: 'text/plain' },
  { name: 'empty_payload', comment: 'zero-byte payload (a bundle of only framing, manifest and signature)', expect: 'success', payload: Buffer.alloc(0), payloadName: 'empty', contentType: 'application/octet-stream' },
  { name: 'multi_frame', comment: 'frame size 1024; 8 full frames and a last frame of 512 bytes', expect: 'success', ...SEVERAL_FRAMES },
  { name: 'last_frame_full', comment: 'frame size 1024; the bundle fills 8 frames exactly, so the last frame is full', expect: 'success', ...FULL_FRAMES },
  { name: 'three_recipients', comment: 'three recipients; the reader holds the second key', expect: 'success', recipients: THREE },
  { name: 'metadata', comment: 'signed metadata', expect: 'success', metadata: { 'order-id': '4711', 'tenant': 'acme', 'note.text': 'grüße, 🙂' } },
  { name: 'utf8_name_edge', comment: 'payload name ending in U+200B ZERO WIDTH SPACE and starting with U+180E MONGOLIAN VOWEL SEPARATOR: neither is white space', expect: 'success', payloadName: '\u180enote\u200b', contentType: 'text/plain', payload: Buffer.from('edge\n') },
  { name: 'utf8_name', comment: 'payload name with non-ASCII characters and an inner space', expect: 'success', payloadName: 'résumé 2026.txt', contentType: 'text/plain; charset=utf-8', payload: Buffer.from('Grüße\n') },
  { name: 'batch_of_one', comment: 'batch form: a batch of one; the root is the leaf and the proof is empty', expect: 'success', batch: { count: 1, index: 0 } },
  { name: 'batch_of_two', comment: 'batch form: leaf 1 of a batch of two; the proof is leaf 0', expect: 'success', batch: { count: 2, index: 1 } },
  { name: 'batch_odd_count', comment: 'batch form: leaf 6, the last, of a batch of seven; the proof is the node of leaves 4-5, then of 0-3', expect: 'success', batch: { count: 7, index: 6 } },
  { name: 'batch_p521', comment: 'batch form: P-521 sender (statement signed with ECDSA_SHA_512), leaf 2 of 5', expect: 'success', sender: 'ec-p521', batch: { count: 5, index: 2 } },
  { name: 'batch_gzip', comment: 'batch form inside a gzip-compressed bundle, leaf 0 of 3', expect: 'success', compression: 'gzip', batch: { count: 3, index: 0 } },
  { name: 'batch_duplicate_leaf', comment: 'batch form: the same manifest is leaves 1 and 2 of four; this copy is leaf 2. Both proofs verify: one message (one id), which replay detection deduplicates', expect: 'success', batch: { count: 4, index: 2, duplicateAt: 1 } },

  // Prefix and header: checked before any cryptography.
  { name: 'prefix_bad_magic', comment: 'first byte of the magic changed', expect: 'error FORMAT_MAGIC', edit: (e) => Buffer.concat([Buffer.from('X'), e.subarray(1)]) },
  { name: 'prefix_bad_version', comment: 'version byte 0x02', expect: 'error FORMAT_VERSION', edit: (e) => Buffer.concat([e.subarray(0, 8), Buffer.of(2), e.subarray(9)]) },
  { name: 'header_truncated', comment: 'the envelope ends inside its header', expect: 'error FORMAT_TRUNCATED', edit: (e) => e.subarray(0, 64) },
  { name: 'header_over_limit', comment: 'a 465-byte header; the reader allows 256', expect: 'error LIMIT_EXCEEDED', limits: { maxHeaderBytes: 256 } },
  { name: 'header_too_many_recipients', comment: 'three recipient entries; the reader allows two', expect: 'error LIMIT_EXCEEDED', recipients: THREE, limits: { maxRecipients: 2 } },
  { name: 'header_unsorted_keys', comment: 'header map keys in alphabetical order, not the deterministic (length-first) order', expect: 'error FORMAT_NONCANONICAL', encodeHeader: (h) => { const m = headerMap(h); return mapOf(Object.keys(m).sort().map((k) => [k, enc(m[k]!)])); } },
  { name: 'header_long_integer', comment: 'frameSize 65536 encoded in 8 bytes instead of 4', expect: 'error FORMAT_NONCANONICAL', encodeHeader: (h) => { const m = headerMap(h); return mapOf(canonicalOrder(m).map((k) => [k, k === 'frameSize' ? Buffer.from('1b0000000000010000', 'hex') : enc(m[k]!)])); } },
  { name: 'header_duplicate_key', comment: 'header map with "salt" twice (same value)', expect: 'error FORMAT_INVALID', encodeHeader: (h) => { const m = headerMap(h); return mapOf(['salt', ...canonicalOrder(m)].map((k) => [k, enc(m[k]!)])); } },
  { name: 'header_unknown_field', comment: 'header with an extra field "note"', expect: 'error FORMAT_INVALID', encodeHeader: (h) => enc({ ...headerMap(h), note: 'x' }) },
  { name: 'header_bad_frame_size', comment: 'frameSize 1000 (not a power of two); frames are consistent with it', expect: 'error FORMAT_INVALID', frameSize: 1000 },
  { name: 'header_float_frame_size', comment: 'frameSize 65536 as a 32-bit float (fa 47 80 00 00): floats are outside the CBOR subset even with an integral value', expect: 'error FORMAT_INVALID', encodeHeader: (h) => { const m = headerMap(h); return mapOf(canonicalOrder(m).map((k) => [k, k === 'frameSize' ? Buffer.from('fa47800000', 'hex') : enc(m[k]!)])); } },
  { name: 'header_unknown_alg', comment: 'the reader\'s recipient entry with alg "RSAES_OAEP_SHA_1": rejected while reading the header, before any entry is matched', expect: 'error FORMAT_INVALID', entries: (e) => [{ ...e[0]!, algorithm: 'RSAES_OAEP_SHA_1' as RecipientEntry['algorithm'] }] },
  { name: 'header_duplicate_recipient', comment: 'the reader\'s recipient entry appears twice', expect: 'error FORMAT_INVALID', entries: (e) => [e[0]!, e[0]!] },

  // Keys.
  { name: 'key_no_recipient_entry', comment: 'addressed only to another key', expect: 'error NOT_A_RECIPIENT', recipients: ['rsa-2048-other'], reader: 'rsa-2048' },
  { name: 'key_unwrap_failure', comment: 'data key wrapped with RSA-OAEP-SHA-1 instead of SHA-256', expect: 'error UNWRAP_FAILED', entries: async (e, dataKey, random) => [{ ...e[0]!, wrappedKey: await random.wrap('rsa-2048', dataKey, 'sha1') }] },
  { name: 'key_commitment_mismatch', comment: 'first bit of the key commitment flipped', expect: 'error KEY_COMMITMENT_MISMATCH', commitment: (c) => { const b = Buffer.from(c); b[0]! ^= 0x80; return b; } },

  // Frames.
  { name: 'stream_bad_tag', comment: 'last byte of the only frame (its tag) flipped', expect: 'error DECRYPTION_FAILED', edit: flipLastByte },
  { name: 'stream_truncated', comment: 'multi-frame envelope with its last frame dropped: ends after a full middle frame', expect: 'error FORMAT_TRUNCATED', ...SEVERAL_FRAMES, edit: (e) => { const { header, frames } = framesOf(e, 1024); return Buffer.concat([header, ...frames.slice(0, -1)]); } },
  { name: 'stream_no_final', comment: 'every frame encrypted without the last-frame flag', expect: 'error FORMAT_TRUNCATED', ...SEVERAL_FRAMES, frames: (p, size) => frameSlices(p, size).map(([slice]) => [slice, false]) },
  { name: 'stream_reordered', comment: 'first two frames swapped', expect: 'error DECRYPTION_FAILED', ...SEVERAL_FRAMES, edit: (e) => { const { header, frames } = framesOf(e, 1024); return Buffer.concat([header, frames[1]!, frames[0]!, ...frames.slice(2)]); } },
  { name: 'stream_appended_frame', comment: 'a valid frame 8 (flagged last) appended after the real last frame 7', expect: 'error DECRYPTION_FAILED', ...FULL_FRAMES, frames: (p, size) => [...frameSlices(p, size), [Buffer.alloc(512), true]] },
  { name: 'stream_empty_final_frame', comment: 'the full frames encrypted as middle frames, then an empty last frame (a tag only)', expect: 'error FORMAT_INVALID', ...FULL_FRAMES, frames: (p, size) => [...frameSlices(p, size).map(([slice]): [Buffer, boolean] => [slice, false]), [Buffer.alloc(0), true]] },
  { name: 'stream_extra_bytes', comment: 'five bytes appended after a full last frame: that frame must now authenticate as a middle frame, and does not', expect: 'error DECRYPTION_FAILED', ...FULL_FRAMES, edit: (e) => Buffer.concat([e, Buffer.from('extra')]) },
  { name: 'stream_gzip_bad_final_tag', comment: 'gzip over several frames; the last byte of the last frame (its tag) flipped', expect: 'error DECRYPTION_FAILED', ...GZIP_FULL_FRAMES, edit: flipLastByte },
  { name: 'stream_gzip_empty_final_frame', comment: 'gzip member filling full frames, all encrypted as middle frames, then an empty last frame (a tag only)', expect: 'error FORMAT_INVALID', ...GZIP_FULL_FRAMES, frames: (p, size) => [...frameSlices(p, size).map(([slice]): [Buffer, boolean] => [slice, false]), [Buffer.alloc(0), true]] },
  { name: 'stream_header_tampered', comment: 'recipient entries swapped after encryption: the header hash no longer matches the frames\' AAD', expect: 'error DECRYPTION_FAILED', recipients: ['rsa-2048-other', 'rsa-2048'], tamperHeader: (h) => ({ ...h, recipients: [...h.recipients].reverse() }) },

  // Bundle: compression and tar.
  { name: 'gzip_invalid', comment: 'header says gzip; the plaintext is an uncompressed tar', expect: 'error BUNDLE_INVALID', compression: 'gzip', plaintext: (b) => b },
  { name: 'gzip_bomb', comment: '8 MiB of zeros in about 8 KiB of gzip; the reader allows a 64 KiB payload', expect: 'error LIMIT_EXCEEDED', compression: 'gzip', payload: Buffer.alloc(8 * 1024 * 1024), payloadName: 'zeros.bin', contentType: 'application/octet-stream', limits: { maxPayloadBytes: 65536 } },
  { name: 'gzip_two_members', comment: 'the bundle compressed as two concatenated gzip members (split after 2,048 bytes)', expect: 'success', compression: 'gzip', payload: Buffer.from('compressible '.repeat(400)), payloadName: 'text.txt', contentType: 'text/plain', plaintext: (b) => Buffer.concat([gzipSync(b.subarray(0, 2048)), gzipSync(b.subarray(2048))]) },
  { name: 'gzip_trailing_zero', comment: 'one zero byte after the gzip member', expect: 'error BUNDLE_INVALID', compression: 'gzip', plaintext: (b) => Buffer.concat([gzipSync(b), Buffer.of(0)]) },
  { name: 'gzip_trailing_garbage', comment: 'a zero byte and "garbage" after the gzip member', expect: 'error BUNDLE_INVALID', compression: 'gzip', plaintext: (b) => Buffer.concat([gzipSync(b), Buffer.from('\u0000garbage', 'latin1')]) },
  { name: 'gzip_ratio_exceeded', comment: '2 MiB of zeros in about 2 KiB of gzip: more than 256 times the input plus 1 MiB', expect: 'error LIMIT_EXCEEDED', compression: 'gzip', payload: Buffer.alloc(2 * 1024 * 1024), payloadName: 'zeros.bin', contentType: 'application/octet-stream' },
  { name: 'tar_name_leading_bom', comment: 'payload named U+FEFF then "report.txt" (signed with that name): U+FEFF is white space at the start of a name', expect: 'error BUNDLE_INVALID', payloadName: '\ufeffreport.txt', contentType: 'text/plain' },
  { name: 'tar_path_traversal', comment: 'payload named ../evil (signed with that name)', expect: 'error BUNDLE_INVALID', payloadName: '../evil' },
  { name: 'tar_symlink', comment: 'payload entry is a symbolic link (typeflag 2) to /etc/passwd; checksum correct', expect: 'error BUNDLE_INVALID', payload: Buffer.alloc(0), bundle: ({ manifest, signature, name, mtime }) => { const t = tarOf([[name, Buffer.alloc(0)], ['manifest.cbor', manifest], ['manifest.sig', signature]], mtime); t[156] = 0x32; t.write('/etc/passwd', 157, 'latin1'); rechecksum(t.subarray(0, BLOCK)); return t; } },
  { name: 'tar_bad_checksum', comment: 'payload header checksum off by one', expect: 'error BUNDLE_INVALID', bundle: ({ payload, manifest, signature, name, mtime }) => { const t = tarOf([[name, payload], ['manifest.cbor', manifest], ['manifest.sig', signature]], mtime); const sum = Number.parseInt(t.toString('latin1', 148, 154), 8) + 1; t.write(sum.toString(8).padStart(6, '0'), 148, 'latin1'); return t; } },
  { name: 'tar_extra_entry', comment: 'a fourth entry after manifest.sig', expect: 'error BUNDLE_INVALID', bundle: ({ payload, manifest, signature, name, mtime }) => tarOf([[name, payload], ['manifest.cbor', manifest], ['manifest.sig', signature], ['extra', Buffer.from('x')]], mtime) },
  { name: 'tar_trailing_garbage', comment: 'seven bytes after the two end blocks', expect: 'error BUNDLE_INVALID', bundle: ({ payload, manifest, signature, name, mtime }) => tarOf([[name, payload], ['manifest.cbor', manifest], ['manifest.sig', signature]], mtime, Buffer.concat([Buffer.alloc(2 * BLOCK), Buffer.from('garbage')])) },
  { name: 'tar_payload_over_limit', comment: 'a 4,096-byte payload; the reader allows 1,024', expect: 'error LIMIT_EXCEEDED', payload: fixedText('over limit', 4096), payloadName: 'big.txt', contentType: 'text/plain', limits: { maxPayloadBytes: 1024 } },

  // Manifest.
  { name: 'manifest_unsorted_keys', comment: 'signed manifest with keys in alphabetical order, not the deterministic order', expect: 'error FORMAT_NONCANONICAL', encodeManifest: (m) => { const f = manifestMap(m); return mapOf(Object.keys(f).sort().map((k) => [k, enc(f[k]!)])); } },
  { name: 'manifest_long_integer', comment: 'signed manifest with version 1 encoded as 0x18 0x01', expect: 'error FORMAT_NONCANONICAL', encodeManifest: (m) => { const f = manifestMap(m); return mapOf(canonicalOrder(f).map((k) => [k, k === 'version' ? Buffer.of(0x18, 0x01) : enc(f[k]!)])); } },
  { name: 'manifest_duplicate_key', comment: 'signed manifest with the key "id" twice (same value)', expect: 'error MANIFEST_INVALID', encodeManifest: (m) => { const f = manifestMap(m); return mapOf(['id', ...canonicalOrder(f)].map((k) => [k, enc(f[k]!)])); } },
  { name: 'manifest_unknown_field', comment: 'signed manifest with an extra field "note"', expect: 'error MANIFEST_INVALID', encodeManifest: (m) => enc({ ...manifestMap(m), note: 'x' }) },
  { name: 'manifest_float_version', comment: 'signed manifest with version 1 as a half-precision float (f9 3c 00)', expect: 'error MANIFEST_INVALID', encodeManifest: (m) => { const f = manifestMap(m); return mapOf(canonicalOrder(f).map((k) => [k, k === 'version' ? Buffer.from('f93c00', 'hex') : enc(f[k]!)])); } },
  { name: 'manifest_float_negative_zero', comment: 'signed manifest with payload.size 0 as a negative-zero float (f9 80 00); the payload is empty', expect: 'error MANIFEST_INVALID', payload: Buffer.alloc(0), payloadName: 'empty', contentType: 'application/octet-stream', encodeManifest: (m) => { const f = manifestMap(m); const p = f.payload as Record<string, CborValue>; return mapOf(canonicalOrder(f).map((k) => [k, k === 'payload' ? mapOf(canonicalOrder(p).map((q) => [q, q === 'size' ? Buffer.from('f98000', 'hex') : enc(p[q]!)])) : enc(f[k]!)])); } },
  { name: 'manifest_id_newline', comment: 'signed id is a valid UUIDv7 followed by a line feed: a pattern matches the whole string, not up to a final newline', expect: 'error MANIFEST_INVALID', manifest: (m) => ({ ...m, id: `${m.id}\n` }) },
  { name: 'manifest_metadata_key_newline', comment: 'signed metadata key "tenant" followed by a line feed', expect: 'error MANIFEST_INVALID', metadata: { 'tenant\n': 'acme' } },
  { name: 'manifest_deep_nesting', comment: 'a metadata value of 10,000 nested arrays: deeper than 16 levels, rejected without recursion', expect: 'error MANIFEST_INVALID', encodeManifest: (m) => { const f = manifestMap(m); return mapOf(canonicalOrder(f).map((k) => [k, k === 'metadata' ? Buffer.concat([Buffer.from('a16161', 'hex'), Buffer.alloc(10_000, 0x81), Buffer.of(0x80)]) : enc(f[k]!)])); } },
  { name: 'manifest_created_out_of_range', comment: 'signed created 8,640,000,000,000,001: beyond the last instant of the time range (year 275760)', expect: 'error MANIFEST_INVALID', encodeManifest: (m) => enc({ ...manifestMap(m), created: 8_640_000_000_000_001 }) },
  { name: 'manifest_too_many_recipients', comment: 'one header entry, but the signed manifest names three recipients; the reader allows two', expect: 'error LIMIT_EXCEEDED', manifest: (m) => ({ ...m, recipients: THREE.map(keyIdOf) }), limits: { maxRecipients: 2 } },
  { name: 'manifest_too_much_metadata', comment: 'two metadata entries; the reader allows one', expect: 'error LIMIT_EXCEEDED', metadata: { a: '1', b: '2' }, limits: { maxMetadataEntries: 1 } },

  // Sender and signature.
  { name: 'sender_untrusted', comment: 'signed by a key the reader does not trust', expect: 'error UNTRUSTED_SENDER', sender: 'ec-p256-stranger', trusted: ['ec-p256'] },
  { name: 'sender_algorithm_mismatch', comment: 'P-256 key trusted for ECDSA_SHA_256; the manifest claims ECDSA_SHA_384', expect: 'error ALGORITHM_MISMATCH', manifest: (m) => ({ ...m, sender: { ...m.sender, algorithm: 'ECDSA_SHA_384' as SigningAlgorithm } }) },
  { name: 'signature_invalid', comment: 'signature by the right key over other bytes', expect: 'error SIGNATURE_INVALID', sign: (_m, random) => random.sign('ec-p256', Buffer.from('other bytes')) },
  { name: 'signature_forged', comment: 'manifest names the trusted key but is signed by another P-256 key', expect: 'error SIGNATURE_INVALID', sign: (m, random) => random.sign('ec-p256-stranger', m) },

  // Batch form: statement and inclusion proof (FORMAT.md section 15).
  { name: 'batch_proof_other_leaf', comment: 'leaf 1 of 4 carries the index and path of leaf 2', expect: 'error BATCH_PROOF_INVALID', batch: { count: 4, index: 1, proof: (_p, tree) => ({ index: 2, path: tree.paths[2]! }) } },
  { name: 'batch_proof_wrong_index', comment: 'leaf 1 of 4 with its own path but index 0', expect: 'error BATCH_PROOF_INVALID', batch: { count: 4, index: 1, proof: (p) => ({ ...p, index: 0 }) } },
  { name: 'batch_proof_truncated', comment: 'leaf 1 of 5: the last of its three path hashes dropped', expect: 'error BATCH_PROOF_INVALID', batch: { count: 5, index: 1, proof: (p) => ({ ...p, path: p.path.slice(0, -1) }) } },
  { name: 'batch_proof_extended', comment: 'leaf 1 of 5: the root appended to its path as a fourth hash', expect: 'error BATCH_PROOF_INVALID', batch: { count: 5, index: 1, proof: (p, tree) => ({ ...p, path: [...p.path, tree.root] }) } },
  { name: 'batch_index_out_of_range', comment: 'leaf 3 of 4 claims index 4, with its own path', expect: 'error BATCH_PROOF_INVALID', batch: { count: 4, index: 3, proof: (p) => ({ ...p, index: 4 }) } },
  { name: 'batch_count_mismatch', comment: 'leaf 6 of a tree of seven; the signed statement says eight leaves, for which leaf 6 needs a path of three hashes, not two', expect: 'error BATCH_PROOF_INVALID', batch: { count: 7, index: 6, statement: (st) => ({ ...st, count: 8 }) } },
  { name: 'batch_sender_untrusted', comment: 'manifest and statement by a key the reader does not trust', expect: 'error UNTRUSTED_SENDER', sender: 'ec-p256-stranger', trusted: ['ec-p256'], batch: { count: 2, index: 0 } },
  { name: 'batch_statement_other_key', comment: 'manifest by the trusted P-256 key; the statement names and is signed by another trusted key', expect: 'error BATCH_STATEMENT_MISMATCH', trusted: ['ec-p256', 'ec-p256-stranger'], batch: { count: 2, index: 0, signer: 'ec-p256-stranger' } },
  { name: 'batch_statement_algorithm_mismatch', comment: 'P-256 key trusted for ECDSA_SHA_256; the statement (signed by it) claims ECDSA_SHA_384', expect: 'error ALGORITHM_MISMATCH', batch: { count: 2, index: 0, statement: (st) => ({ ...st, sender: { ...st.sender, algorithm: 'ECDSA_SHA_384' } }) } },
  { name: 'batch_signature_forged', comment: 'the statement names the trusted key but is signed by another P-256 key', expect: 'error SIGNATURE_INVALID', batch: { count: 2, index: 0 }, sign: (st, random) => random.sign('ec-p256-stranger', st) },
  { name: 'batch_signature_invalid', comment: 'statement.sig by the trusted key over other bytes', expect: 'error SIGNATURE_INVALID', batch: { count: 2, index: 0 }, sign: (_st, random) => random.sign('ec-p256', Buffer.from('other bytes')) },
  { name: 'batch_statement_unknown_field', comment: 'signed statement with an extra field "note"', expect: 'error BATCH_INVALID', batch: { count: 2, index: 0, encodeStatement: (st) => enc({ ...statementMap(st), note: 'x' }) } },
  { name: 'batch_statement_unsorted_keys', comment: 'signed statement with keys in alphabetical order', expect: 'error FORMAT_NONCANONICAL', batch: { count: 2, index: 0, encodeStatement: (st) => { const f = statementMap(st); return mapOf(Object.keys(f).sort().map((k) => [k, enc(f[k]!)])); } } },
  { name: 'batch_statement_zero_count', comment: 'signed statement with count 0', expect: 'error BATCH_INVALID', batch: { count: 1, index: 0, statement: (st) => ({ ...st, count: 0 }) } },
  { name: 'batch_proof_short_hash', comment: 'leaf 0 of 2 with its path hash cut to 31 bytes', expect: 'error BATCH_INVALID', batch: { count: 2, index: 0, proof: (p) => ({ ...p, path: [p.path[0]!.subarray(0, 31)] }) } },
  { name: 'tar_batch_missing_proof', comment: 'batch form without proof.cbor: the bundle ends after statement.sig', expect: 'error BUNDLE_INVALID', batch: { count: 2, index: 0 }, bundle: ({ payload, manifest, signature, batch, name, mtime }) => tarOf([[name, payload], ['manifest.cbor', manifest], ['statement.cbor', batch!.statement], ['statement.sig', signature]], mtime) },
  { name: 'tar_batch_payload_named_proof', comment: 'batch form with a payload named proof.cbor (signed with that name): extracting would overwrite one with the other', expect: 'error BUNDLE_INVALID', payloadName: 'proof.cbor', batch: { count: 2, index: 0 } },

  // Payload, recipients, age.
  { name: 'payload_digest_mismatch', comment: 'signed digest is of other bytes', expect: 'error PAYLOAD_MISMATCH', manifest: (m) => ({ ...m, payload: { ...m.payload, sha256: fixed('other payload') } }) },
  { name: 'payload_size_mismatch', comment: 'signed size is one byte more than the payload', expect: 'error PAYLOAD_MISMATCH', manifest: (m) => ({ ...m, payload: { ...m.payload, size: m.payload.size + 1 } }) },
  { name: 'payload_name_mismatch', comment: 'signed name other.json; the tar entry is message.json', expect: 'error PAYLOAD_MISMATCH', manifest: (m) => ({ ...m, payload: { ...m.payload, name: 'other.json' } }) },
  { name: 'recipient_forwarded', comment: 'signed for rsa-2048-other only, re-encrypted by that recipient to the reader', expect: 'error RECIPIENT_MISMATCH', manifest: (m) => ({ ...m, recipients: [keyIdOf('rsa-2048-other')] }) },
  { name: 'age_expired', comment: 'created 8 days before the reader\'s clock (default window 7 days)', expect: 'error MESSAGE_EXPIRED', created: NOW - 8 * DAY },
  // Sender certificates (FORMAT.md section 14); fixtures in test-vectors/certs/.
  { name: 'cert_chain', comment: 'P-256 sender with its leaf and intermediate; the reader trusts only the root CA', expect: 'success', certificates: CHAIN, trustedCa: ROOT },
  { name: 'cert_chain_beside_keys', comment: 'certified sender whose key the reader also trusts directly: accepted by its key, the chain only bound', expect: 'success', certificates: CHAIN, trusted: ['ec-p256'], trustedCa: ROOT },
  { name: 'cert_chain_swapped', comment: 'the manifest binds the sender\'s leaf; the bundle carries another leaf of the same CA', expect: 'error CERT_CHAIN_MISMATCH', certificates: ['certs/ec-p256-stranger.pem', 'certs/intermediate.pem'], boundCertificates: CHAIN, trustedCa: ROOT },
  { name: 'cert_chain_unbound', comment: 'the bundle carries the chain; the manifest has no sender.certs', expect: 'error CERT_CHAIN_MISMATCH', certificates: CHAIN, boundCertificates: [], trustedCa: ROOT },
  { name: 'cert_key_mismatch', comment: 'signed by ec-p256 with a valid chain certifying ec-p256-stranger', expect: 'error CERT_KEY_MISMATCH', certificates: ['certs/ec-p256-stranger.pem', 'certs/intermediate.pem'], trustedCa: ROOT },
  { name: 'cert_revoked', comment: 'the stranger\'s own message and chain; the reader\'s CRL revokes its leaf', expect: 'error CERT_REVOKED', sender: 'ec-p256-stranger', certificates: ['certs/ec-p256-stranger.pem', 'certs/intermediate.pem'], trustedCa: ROOT, crls: ['certs/intermediate.crl.pem'] },
  { name: 'cert_untrusted', comment: 'the bundle carries the leaf without its intermediate: no path to the trusted root', expect: 'error CERT_UNTRUSTED', certificates: ['certs/ec-p256.pem'], trustedCa: ROOT },
  { name: 'age_from_the_future', comment: 'created 1 hour after the reader\'s clock (default skew 5 minutes)', expect: 'error MESSAGE_NOT_YET_VALID', created: NOW + 3_600_000 },
];

/** The text of a vector file (format in test-vectors/README.md). */
export function vectorText(s: Scenario, built: BuiltVector): string {
  const reader = readerOf(s);
  const lines = [
    `expect: ${s.expect}`,
    `comment: ${s.comment}`,
    `recipient key: keys/${reader.key}.pem`,
    ...reader.trusted.map((t) => `trusted sender: keys/${t}.pub.pem`),
    ...(s.trustedCa ?? []).map((ca) => `trusted ca: ${ca}`),
    ...(s.crls ?? []).map((crl) => `crl: ${crl}`),
    `now: ${NOW}`,
    ...(s.limits ? [`limits: ${JSON.stringify(s.limits)}`] : []),
    `data key: ${built.dataKey.toString('hex')}`,
    ...(s.expect === 'success'
      ? [`message id: ${built.id}`, `payload sha256: ${createHash('sha256').update(built.payload).digest('hex')}`]
      : []),
    '',
    ...(built.envelope.toString('base64').match(/.{1,76}/g) ?? []),
    '',
  ];
  return lines.join('\n');
}

/** Decrypts an envelope with a known data key, checking nothing beyond the frame tags. */
export function decryptVector(envelope: Buffer, dataKey: Buffer): { header: EnvelopeHeader; headerBytes: Buffer; plaintext: Buffer; bundle: Buffer } {
  const parsed = parseHeader(envelope, resolveLimits({ maxRecipients: 1000, maxHeaderBytes: 1 << 24 }));
  const { contentKey } = deriveMessageKeys(createSecretKey(dataKey), parsed.header.salt);
  const plaintext = decryptFrames(envelope.subarray(parsed.length), contentKey, parsed.hash, parsed.header.frameSize, Number.MAX_SAFE_INTEGER);
  const bundle = parsed.header.compression === 'gzip' ? gunzipSync(plaintext) : plaintext;
  return { header: parsed.header, headerBytes: envelope.subarray(0, parsed.length), plaintext, bundle };
}

// The worked example in FORMAT.md: annotated dumps of one vector's header, manifest and first
// tar header, with the derived values.

type DumpLine = [offset: number, bytes: Buffer, comment: string];

function formatLines(lines: readonly DumpLine[]): string {
  return lines
    .map(([offset, bytes, comment]) => `${offset.toString(16).padStart(4, '0')}  ${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(47)}  ${comment}`.trimEnd())
    .join('\n');
}

/** Lays `bytes` out in lines of at most 16, the comment on the first. */
function chunked(out: DumpLine[], offset: number, bytes: Buffer, comment: string): void {
  for (let i = 0; i < Math.max(1, bytes.length); i += 16) out.push([offset + i, bytes.subarray(i, i + 16), i === 0 ? comment : '']);
}

function readHead(bytes: Buffer, at: number): { major: number; value: number; length: number } {
  const info = bytes[at]! & 0x1f;
  if (info < 24) return { major: bytes[at]! >> 5, value: info, length: 1 };
  const n = 2 ** (info - 24);
  const value = n === 8 ? Number(bytes.readBigUInt64BE(at + 1)) : bytes.readUIntBE(at + 1, n);
  return { major: bytes[at]! >> 5, value, length: 1 + n };
}

/** Annotates one CBOR item of the format's subset, recursively; returns the offset after it. */
function annotateCbor(out: DumpLine[], bytes: Buffer, at: number, base: number, depth: number, label = ''): number {
  const { major, value, length } = readHead(bytes, at);
  const indent = '  '.repeat(depth);
  if (major === 0) {
    out.push([base + at, bytes.subarray(at, at + length), `${indent}${label}uint ${value}`]);
    return at + length;
  }
  if (major === 2 || major === 3) {
    const end = at + length + value;
    const text = JSON.stringify(bytes.toString('utf8', at + length, end));
    chunked(out, base + at, bytes.subarray(at, end), `${indent}${label}${major === 2 ? `bytes(${value})` : `text(${value}) ${text}`}`);
    return end;
  }
  out.push([base + at, bytes.subarray(at, at + length), `${indent}${label}${major === 4 ? 'array' : 'map'}(${value})`]);
  let next = at + length;
  for (let i = 0; i < value; i++) {
    if (major === 4) {
      next = annotateCbor(out, bytes, next, base, depth + 1);
      continue;
    }
    const keyHead = readHead(bytes, next);
    const keyEnd = next + keyHead.length + keyHead.value;
    const key = bytes.toString('utf8', next + keyHead.length, keyEnd);
    chunked(out, base + next, bytes.subarray(next, keyEnd), `${indent}  key ${JSON.stringify(key)}`);
    next = annotateCbor(out, bytes, keyEnd, base, depth + 1, `${key}: `);
  }
  return next;
}

/** A hexdump of a 512-byte tar header with printable characters, runs of zero lines as `*`. */
function tarDump(block: Buffer): string {
  const lines: string[] = [];
  let skipping = false;
  for (let at = 0; at < block.length; at += 16) {
    const row = block.subarray(at, at + 16);
    if (row.every((b) => b === 0) && at > 0 && block.subarray(at - 16, at).every((b) => b === 0)) {
      if (!skipping) lines.push('*');
      skipping = true;
      continue;
    }
    skipping = false;
    const text = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(formatLines([[at, row, `|${text}|`]]));
  }
  lines.push(block.length.toString(16).padStart(4, '0'));
  return lines.join('\n');
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const indentBlock = (text: string) => text.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n');

/** The generated part of FORMAT.md's worked example, from a vector's envelope and data key. */
export function workedExample(vectorName: string, envelope: Buffer, dataKey: Buffer): string {
  const { header, headerBytes, bundle } = decryptVector(envelope, dataKey);
  const { contentKey, commitment } = deriveMessageKeys(createSecretKey(dataKey), header.salt);
  const headerHash = createHash('sha256').update(headerBytes).digest();
  const frames = envelope.subarray(headerBytes.length);
  const headerLines: DumpLine[] = [
    [0, headerBytes.subarray(0, 8), 'magic "SEALPOST"'],
    [8, headerBytes.subarray(8, 9), 'version 1'],
    [9, headerBytes.subarray(9, 13), `header length ${headerBytes.length - PREFIX_BYTES}`],
  ];
  annotateCbor(headerLines, headerBytes, PREFIX_BYTES, 0, 0);
  const payloadSize = Number.parseInt(bundle.toString('latin1', 124, 135), 8);
  const manifestAt = BLOCK + Math.ceil(payloadSize / BLOCK) * BLOCK;
  const manifestLength = Number.parseInt(bundle.toString('latin1', manifestAt + 124, manifestAt + 135), 8);
  const manifest = bundle.subarray(manifestAt + BLOCK, manifestAt + BLOCK + manifestLength);
  const manifestLines: DumpLine[] = [];
  annotateCbor(manifestLines, manifest, 0, 0, 0);
  const values = [
    `data key      ${hex(dataKey)}`,
    `salt          ${hex(header.salt)}`,
    `info          ${JSON.stringify(KEY_INFO.toString('latin1'))} (${KEY_INFO.length} bytes)`,
    `content key   ${hex(contentKey.export())}`,
    `commitment    ${hex(commitment)}`,
    `header hash   ${hex(headerHash)}`,
    `frame 0       nonce ${hex(frameNonce(0, true))}, ${frames.length} bytes: ${frames.length - TAG_BYTES} of bundle, then the tag`,
    `tag           ${hex(frames.subarray(frames.length - TAG_BYTES))}`,
  ];
  return [
    `Vector \`${vectorName}\`. Inputs and derived values (hex):`,
    '',
    indentBlock(values.join('\n')),
    '',
    `Prefix and header (${headerBytes.length} bytes; frames start at offset 0x${headerBytes.length.toString(16)}):`,
    '',
    indentBlock(formatLines(headerLines)),
    '',
    `\`manifest.cbor\` (${manifest.length} bytes):`,
    '',
    indentBlock(formatLines(manifestLines)),
    '',
    `The payload's tar header (the first 512 bytes of the bundle; \`*\` stands for zero lines):`,
    '',
    indentBlock(tarDump(bundle.subarray(0, BLOCK))),
  ].join('\n');
}

/** The vector FORMAT.md's batch worked example (section 15) is taken from. */
export const BATCH_WORKED_EXAMPLE_VECTOR = 'batch_odd_count';

/** The entries of a bundle by name, read leniently (any count, no checks). */
function tarEntries(bundle: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  for (let at = 0; at + BLOCK <= bundle.length && bundle[at] !== 0; ) {
    const name = bundle.toString('utf8', at, bundle.indexOf(0, at));
    const size = Number.parseInt(bundle.toString('latin1', at + 124, at + 135), 8);
    entries.set(name, bundle.subarray(at + BLOCK, at + BLOCK + size));
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

/** The generated part of FORMAT.md's batch worked example: statement, proof and the proof computation, step by step. */
export function batchWorkedExample(vectorName: string, envelope: Buffer, dataKey: Buffer): string {
  const entries = tarEntries(decryptVector(envelope, dataKey).bundle);
  const manifest = entries.get('manifest.cbor')!;
  const statementBytes = entries.get('statement.cbor')!;
  const proofBytes = entries.get('proof.cbor')!;
  const statementLines: DumpLine[] = [];
  annotateCbor(statementLines, statementBytes, 0, 0, 0);
  const proofLines: DumpLine[] = [];
  annotateCbor(proofLines, proofBytes, 0, 0, 0);
  const statement = decodeStatement(statementBytes);
  const proof = decodeProof(proofBytes);
  const leaf = leafHash(manifest);
  const steps = [`leaf = SHA-256(00 || manifest.cbor) = ${hex(leaf)}`, `fn = ${proof.index}, sn = count - 1 = ${statement.count - 1}, r = leaf`];
  let fn = proof.index;
  let sn = statement.count - 1;
  let r = leaf;
  proof.path.forEach((p, i) => {
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      steps.push(`path[${i}]: fn = ${fn} ${fn % 2 === 1 ? 'is odd' : '= sn'}: r = SHA-256(01 || path[${i}] || r) = ${hex(r)}`);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
        steps.push(`         shift while fn is even and not 0: fn = ${fn}, sn = ${sn}`);
      }
    } else {
      r = nodeHash(r, p);
      steps.push(`path[${i}]: fn = ${fn} is even and below sn: r = SHA-256(01 || r || path[${i}]) = ${hex(r)}`);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
    steps.push(`         shift once: fn = ${fn}, sn = ${sn}`);
  });
  steps.push(`end: sn = ${sn}, and r ${r.equals(Buffer.from(statement.root)) ? 'equals' : 'DIFFERS FROM'} statement.root`);
  return [
    `Vector \`${vectorName}\`: leaf ${proof.index} of a batch of ${statement.count}, signed by the P-256 test key.`,
    '',
    `\`statement.cbor\` (${statementBytes.length} bytes):`,
    '',
    indentBlock(formatLines(statementLines)),
    '',
    `\`proof.cbor\` (${proofBytes.length} bytes):`,
    '',
    indentBlock(formatLines(proofLines)),
    '',
    'The proof computation (15.6, step 4), hashes in hex:',
    '',
    indentBlock(steps.join('\n')),
  ].join('\n');
}

async function ensureKeys(): Promise<void> {
  mkdirSync(KEYS_DIR, { recursive: true });
  for (const [name, type] of Object.entries(KEY_SPECS)) {
    if (existsSync(join(KEYS_DIR, `${name}.pem`))) continue;
    const pair = await generateLocalKeyPair(type);
    writeFileSync(join(KEYS_DIR, `${name}.pem`), pair.privateKeyPem);
    writeFileSync(join(KEYS_DIR, `${name}.pub.pem`), pair.publicKeyPem);
  }
}

/** Reads a committed vector file's envelope and data key. */
export function readVectorFile(name: string): { fields: Map<string, string[]>; envelope: Buffer } {
  const text = readFileSync(join(OUT_DIR, `${name}.txt`), 'utf8');
  const split = text.indexOf('\n\n');
  const fields = new Map<string, string[]>();
  for (const line of text.slice(0, split).split('\n')) {
    const colon = line.indexOf(': ');
    const key = line.slice(0, colon);
    fields.set(key, [...(fields.get(key) ?? []), line.slice(colon + 2)]);
  }
  return { fields, envelope: Buffer.from(text.slice(split + 2).replace(/\s/g, ''), 'base64') };
}

/** The vector FORMAT.md's worked example is taken from. */
export const WORKED_EXAMPLE_VECTOR = 'p256_rsa2048';

async function main(args: string[]): Promise<void> {
  if (args[0] === '--batch-worked-example') {
    const { fields, envelope } = readVectorFile(BATCH_WORKED_EXAMPLE_VECTOR);
    console.log(batchWorkedExample(BATCH_WORKED_EXAMPLE_VECTOR, envelope, Buffer.from(fields.get('data key')![0]!, 'hex')));
    return;
  }
  if (args[0] === '--worked-example') {
    const { fields, envelope } = readVectorFile(WORKED_EXAMPLE_VECTOR);
    console.log(workedExample(WORKED_EXAMPLE_VECTOR, envelope, Buffer.from(fields.get('data key')![0]!, 'hex')));
    return;
  }
  const only = args[0] === '--only' ? new Set((args[1] ?? '').split(',')) : undefined;
  const unknown = [...(only ?? [])].filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`no such vector: ${unknown.join(', ')}`);
  await ensureKeys();
  mkdirSync(OUT_DIR, { recursive: true });
  if (!only) {
    // Stale files of removed scenarios would otherwise keep running.
    for (const file of readdirSync(OUT_DIR)) rmSync(join(OUT_DIR, file));
  }
  let written = 0;
  for (const s of SCENARIOS) {
    if (only && !only.has(s.name)) continue;
    writeFileSync(join(OUT_DIR, `${s.name}.txt`), vectorText(s, await buildVector(s, REAL_RANDOMNESS)));
    written++;
  }
  console.log(`wrote ${written} vectors to ${OUT_DIR}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
