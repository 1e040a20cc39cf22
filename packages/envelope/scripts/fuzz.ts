/**
 * A fuzzer for the envelope readers. It mutates valid envelopes (the success vectors in
 * test-vectors/v1, whose data keys it holds) both byte-wise and structurally — decrypting them,
 * changing one thing in the header, the frames, the gzip stream, the tar, the manifest, the
 * signature or the payload, and then re-signing and re-encrypting everything else, so the checks
 * behind the cryptography are reached — and runs every input through the in-memory reader
 * (`open`) and the streaming reader (`openStream`, and every few inputs `openFile`). For every
 * input it checks:
 *
 * - only `SealpostError` escapes, and never a transient one (a property of a message is never
 *   transient);
 * - the readers agree on accept or reject, and on the error code (every input has one defect:
 *   one mutation, everything else re-derived);
 * - a rejected input leaves nothing on disk, and an accepted one releases the same payload and
 *   manifest from every reader; a byte-wise mutation of a sealed envelope is never accepted.
 *
 *   node packages/envelope/scripts/fuzz.ts --minutes 5 [--seed 7]      (or: pnpm fuzz --minutes 5)
 *
 * The test suite runs the same harness for a fixed number of iterations with a fixed seed.
 */
import { createHash, createSecretKey, createCipheriv, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { decode } from 'cborg';
import { bundleHead, bundleParts } from '../src/bundle/bundle.ts';
import { BLOCK } from '../src/bundle/ustar.ts';
import { encodeCanonical, type CborValue } from '../src/cbor.ts';
import { deriveMessageKeys } from '../src/format/derive.ts';
import { frameNonce } from '../src/format/frames.ts';
import { MAGIC, PREFIX_BYTES, VERSION } from '../src/format/header.ts';
import { createLocalKeyUnwrapper, createLocalSigner, createLocalTrustedSender, createOpener, createTrustStore, isSealpostError } from '../src/index.ts';
import { NOW, SCENARIOS, VECTORS_ROOT, decryptVector, readVectorFile } from './generate-vectors.ts';

/** A small, fast, seeded generator (mulberry32): the same seed gives the same mutations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const int = (r: Random, n: number) => Math.floor(r() * n);
const pick = <T>(r: Random, items: readonly T[]): T => items[int(r, items.length)]!;

const SENDER_KEYS = ['ec-p256', 'ec-p384', 'ec-p521', 'ec-secp256k1'] as const;
const fixture = (name: string) => readFileSync(join(VECTORS_ROOT, 'keys', name), 'utf8');
/** Both readers get the same limits: a small payload cap keeps bombs cheap. */
const LIMITS = { maxPayloadBytes: 1024 * 1024, maxCompressionRatio: 64 };

/** A sealed message taken apart: every layer, and the data key that re-encrypts them. */
interface Base {
  readonly name: string;
  readonly envelope: Buffer;
  readonly dataKey: Buffer;
  readonly header: Record<string, CborValue>;
  readonly payloadName: string;
  readonly payload: Buffer;
  readonly manifest: Buffer;
  readonly signature: Buffer;
  readonly mtime: number;
  readonly signer: (typeof SENDER_KEYS)[number];
}

/** The layers a structural mutation rebuilds from; each is replaced by at most one mutation. */
interface Layers {
  header: Record<string, CborValue>;
  headerCbor?: Buffer;
  payloadName: string;
  payload: Buffer;
  manifest: Buffer;
  signature?: Buffer;
  bundle?: Buffer;
  plaintext?: Buffer;
  frames?: (plaintext: Buffer, frameSize: number) => [Buffer, boolean][];
  envelope?: (envelope: Buffer) => Buffer;
}

function loadBases(): Base[] {
  const senderOf = (scenario: (typeof SCENARIOS)[number]) => (scenario.sender ?? 'ec-p256') as Base['signer'];
  return SCENARIOS.filter((s) => s.expect === 'success' && (s.trusted ?? [senderOf(s)]).length === 1).flatMap((s) => {
    const { fields, envelope } = readVectorFile(s.name);
    if (fields.get('recipient key')![0] !== 'keys/rsa-2048.pem') return [];
    const dataKey = Buffer.from(fields.get('data key')![0]!, 'hex');
    const { headerBytes, bundle } = decryptVector(envelope, dataKey);
    if (bundle.length > 64 * 1024) return [];
    const entries: Buffer[] = [];
    const names: string[] = [];
    let offset = 0;
    for (let i = 0; i < 3; i++) {
      const size = Number.parseInt(bundle.toString('latin1', offset + 124, offset + 135), 8);
      const nameEnd = bundle.indexOf(0, offset);
      names.push(bundle.toString('utf8', offset, Math.min(nameEnd, offset + 100)));
      entries.push(bundle.subarray(offset + BLOCK, offset + BLOCK + size));
      offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    }
    return [{
      name: s.name,
      envelope,
      dataKey,
      header: decode(headerBytes.subarray(PREFIX_BYTES)) as Record<string, CborValue>,
      payloadName: names[0]!,
      payload: entries[0]!,
      manifest: entries[1]!,
      signature: entries[2]!,
      mtime: Number.parseInt(bundle.toString('latin1', 136, 147), 8),
      signer: senderOf(s),
    }];
  });
}

function sealFrame(key: KeyObject, aad: Buffer, counter: number, last: boolean, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, frameNonce(counter, last));
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function frameSlices(plaintext: Buffer, frameSize: number): [Buffer, boolean][] {
  const count = Math.max(1, Math.ceil(plaintext.length / frameSize));
  return Array.from({ length: count }, (_, i) => [plaintext.subarray(i * frameSize, (i + 1) * frameSize), i === count - 1]);
}

/** Re-signs (when the manifest changed), re-bundles, recompresses and re-encrypts the layers. */
async function assemble(base: Base, layers: Layers): Promise<Buffer> {
  const signature = layers.signature ?? (layers.manifest === base.manifest ? base.signature : Buffer.from(await createLocalSigner(fixture(`${base.signer}.pem`)).sign(layers.manifest)));
  const bundle = layers.bundle ?? Buffer.concat(bundleParts({ payloadName: layers.payloadName, payload: layers.payload, manifest: layers.manifest, signature }, base.mtime));
  const gzip = layers.header.compression === 'gzip';
  const plaintext = layers.plaintext ?? (gzip ? gzipSync(bundle) : bundle);
  const cbor = layers.headerCbor ?? encodeCanonical(layers.header);
  const prefix = Buffer.alloc(PREFIX_BYTES);
  MAGIC.copy(prefix);
  prefix[MAGIC.length] = VERSION;
  prefix.writeUInt32BE(cbor.length, MAGIC.length + 1);
  const head = Buffer.concat([prefix, cbor]);
  const aad = createHash('sha256').update(head).digest();
  const salt = layers.header.salt instanceof Uint8Array && layers.header.salt.length === 32 ? layers.header.salt : base.header.salt as Uint8Array;
  const { contentKey } = deriveMessageKeys(createSecretKey(base.dataKey), salt);
  const frameSize = typeof layers.header.frameSize === 'number' && layers.header.frameSize >= 1024 ? Math.min(layers.header.frameSize, 1 << 22) : 65536;
  const frames = (layers.frames ?? frameSlices)(plaintext, frameSize).map(([slice, last], i) => sealFrame(contentKey, aad, i, last, slice));
  const envelope = Buffer.concat([head, ...frames]);
  return layers.envelope ? layers.envelope(envelope) : envelope;
}

function flip(r: Random, bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  if (out.length > 0) out[int(r, out.length)]! ^= 1 << int(r, 8);
  return out;
}

/** One byte-wise change to `bytes`: a bit flip, a random byte, an insertion, a deletion, a cut, an append. */
function byteMutation(r: Random, bytes: Buffer): [string, Buffer] {
  const at = int(r, bytes.length + 1);
  switch (int(r, 6)) {
    case 0: return ['flip a bit', flip(r, bytes)];
    case 1: { const out = Buffer.from(bytes); if (out.length) out[Math.min(at, out.length - 1)] = int(r, 256); return ['set a byte', out]; }
    case 2: return ['insert a byte', Buffer.concat([bytes.subarray(0, at), Buffer.of(int(r, 256)), bytes.subarray(at)])];
    case 3: return ['delete a byte', Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)])];
    case 4: return ['cut', bytes.subarray(0, at)];
    default: return ['append', Buffer.concat([bytes, Buffer.alloc(1 + int(r, 40), int(r, 256))])];
  }
}

const INTERESTING: readonly CborValue[] = [0, 1, 23, 24, 255, 65536, 2 ** 32, Number.MAX_SAFE_INTEGER, 8_640_000_000_000_000, 8_640_000_000_000_001, '', 'x', 'tenant\n', ' lead', 'trail ', '\ufeffbom', 'a/b', '..', 'manifest.cbor', 'ECDSA_SHA_384', 'RSAES_OAEP_SHA_1', 'x'.repeat(300), new Uint8Array(0), new Uint8Array(32), [], {}, ['x'], { a: 'b' }];

/** Replaces one value somewhere inside `value` (a map or array) with an interesting one, or drops or adds a key. */
function mutateValue(r: Random, value: CborValue, depth = 0): CborValue {
  if (Array.isArray(value)) {
    const copy = [...(value as CborValue[])];
    if (copy.length === 0 || int(r, 4) === 0) return int(r, 2) ? [...copy, pick(r, INTERESTING)] : copy.slice(1);
    const i = int(r, copy.length);
    copy[i] = depth < 3 && typeof copy[i] === 'object' && !(copy[i] instanceof Uint8Array) && int(r, 2) ? mutateValue(r, copy[i]!, depth + 1) : pick(r, INTERESTING);
    return copy;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    const copy = { ...(value as Record<string, CborValue>) };
    const keys = Object.keys(copy);
    const roll = int(r, 10);
    if (roll === 0 || keys.length === 0) copy[pick(r, ['note', 'tenant\n', 'a', 'id', ''])] = pick(r, INTERESTING);
    else if (roll === 1) delete copy[pick(r, keys)];
    else {
      const key = pick(r, keys);
      const inner = copy[key]!;
      copy[key] = depth < 3 && typeof inner === 'object' && !(inner instanceof Uint8Array) && int(r, 2) ? mutateValue(r, inner, depth + 1) : pick(r, INTERESTING);
    }
    return copy;
  }
  return pick(r, INTERESTING);
}

/** Raw CBOR items a deterministic encoder cannot write: floats, negatives, long forms, indefinite lengths, deep nesting. */
const RAW_ITEMS = ['f93c00', 'f98000', 'fb4340000000000000', 'fa47800000', '20', 'c11a00000001', 'f5', 'f6', '1801', '5f41004100ff', Buffer.concat([Buffer.alloc(40, 0x81), Buffer.of(0)]).toString('hex')];

/** Replaces one top-level value of a CBOR map with a raw item (the map keeps its key order). */
function rawValue(r: Random, map: Record<string, CborValue>): Buffer {
  const keys = Object.keys(map).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || (a < b ? -1 : 1));
  const target = pick(r, keys);
  const parts: Buffer[] = [Buffer.of(0xa0 | keys.length)];
  for (const key of keys) parts.push(encodeCanonical(key), key === target ? Buffer.from(pick(r, RAW_ITEMS), 'hex') : encodeCanonical(map[key]!));
  return Buffer.concat(parts);
}

/** A tar of the given entries in Sealpost's ustar form, then the two end blocks. */
function retar(base: Base, entries: [string, Buffer][]): Buffer {
  return Buffer.concat([...entries.flatMap(([name, data]) => [bundleHead(name, data.length, base.mtime), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]), Buffer.alloc(2 * BLOCK)]);
}

/** One structural mutation of `base`: a description and the layers to rebuild from. */
async function structuralMutation(r: Random, base: Base): Promise<[string, Layers]> {
  const layers: Layers = { header: { ...base.header }, payloadName: base.payloadName, payload: base.payload, manifest: base.manifest };
  const signature = base.signature;
  const bundleOf = () => Buffer.concat(bundleParts({ payloadName: layers.payloadName, payload: layers.payload, manifest: layers.manifest, signature }, base.mtime));
  const kind = int(r, 9);
  switch (kind) {
    case 0: {
      const roll = int(r, 4);
      if (roll === 0) layers.header = mutateValue(r, layers.header) as Record<string, CborValue>;
      else if (roll === 1) layers.headerCbor = rawValue(r, layers.header);
      else if (roll === 2) layers.header.frameSize = 1 << (10 + int(r, 13));
      else layers.headerCbor = byteMutation(r, encodeCanonical(layers.header))[1];
      return ['header', layers];
    }
    case 1: {
      const roll = int(r, 7);
      layers.frames = (p, size) => {
        const slices = frameSlices(p, size);
        if (roll === 0 && slices.length > 1) slices.splice(int(r, slices.length), 1);
        else if (roll === 1) slices.splice(int(r, slices.length), 0, slices[int(r, slices.length)]!);
        else if (roll === 2 && slices.length > 1) { const i = int(r, slices.length - 1); [slices[i], slices[i + 1]] = [slices[i + 1]!, slices[i]!]; }
        else if (roll === 3) { const i = int(r, slices.length); slices[i] = [slices[i]![0], !slices[i]![1]]; }
        else if (roll === 4) return [...slices.map(([s]): [Buffer, boolean] => [s, false]), [Buffer.alloc(0), true]];
        else if (roll === 5) return [...slices, [Buffer.alloc(int(r, 40)), true]];
        else slices[slices.length - 1] = [slices.at(-1)![0].subarray(0, int(r, slices.at(-1)![0].length)), true];
        return slices;
      };
      if (int(r, 3) === 0) layers.header.frameSize = 1024;
      return ['frames', layers];
    }
    case 2: {
      layers.header.compression = 'gzip';
      const gz = gzipSync(bundleOf(), { level: int(r, 10) });
      const roll = int(r, 7);
      if (roll === 6) {
        // A payload of zeros past the payload or ratio limit, correctly signed: a bomb that is otherwise valid.
        layers.payload = Buffer.alloc(pick(r, [200_000, 900_000, 2_000_000]));
        const manifest = decode(base.manifest) as { payload: Record<string, CborValue> };
        layers.manifest = encodeCanonical({ ...manifest, payload: { ...manifest.payload, size: layers.payload.length, sha256: createHash('sha256').update(layers.payload).digest() } } as CborValue);
        return ['gzip', layers];
      }
      if (roll === 0) layers.plaintext = Buffer.concat([gz, Buffer.alloc(1 + int(r, 3000))]);
      else if (roll === 1) layers.plaintext = Buffer.concat([gz, byteMutation(r, gzipSync(Buffer.from('tail')))[1]]);
      else if (roll === 2) { const b = bundleOf(); const at = int(r, b.length); layers.plaintext = Buffer.concat([gzipSync(b.subarray(0, at)), gzipSync(b.subarray(at))]); }
      else if (roll === 3) layers.plaintext = byteMutation(r, gz)[1];
      else if (roll === 4) layers.plaintext = gzipSync(Buffer.concat([bundleOf(), Buffer.alloc(int(r, 3) * 512)]));
      else layers.plaintext = gz;
      if (int(r, 4) === 0) layers.header.frameSize = 1024;
      return ['gzip', layers];
    }
    case 3: {
      const roll = int(r, 4);
      if (roll === 0) layers.bundle = byteMutation(r, bundleOf())[1];
      else if (roll === 1) layers.bundle = flip(r, bundleOf());
      else if (roll === 2) layers.bundle = retar(base, [[layers.payloadName, layers.payload], ['manifest.sig', signature], ['manifest.cbor', layers.manifest]]);
      else layers.bundle = retar(base, [[layers.payloadName, layers.payload], ['manifest.cbor', layers.manifest], ['manifest.sig', signature], ...(int(r, 2) ? [['extra', Buffer.from('x')] as [string, Buffer]] : [])]);
      return ['tar', layers];
    }
    case 4:
    case 5: {
      const manifest = decode(base.manifest) as Record<string, CborValue>;
      const roll = int(r, 3);
      if (roll === 0) layers.manifest = encodeCanonical(mutateValue(r, manifest));
      else if (roll === 1) layers.manifest = rawValue(r, manifest);
      else layers.manifest = byteMutation(r, base.manifest)[1];
      return ['manifest', layers];
    }
    case 6: {
      const roll = int(r, 3);
      layers.signature = roll === 0 ? flip(r, signature) : roll === 1 ? byteMutation(r, signature)[1] : Buffer.from(await createLocalSigner(fixture('ec-p256-stranger.pem')).sign(base.manifest));
      return ['signature', layers];
    }
    case 7: {
      const roll = int(r, 3);
      if (roll === 0) layers.payload = byteMutation(r, base.payload)[1];
      else if (roll === 1) layers.payloadName = pick(r, ['other.json', '..', 'a/b', ' lead', 'manifest.sig', '\ufeffx', 'x\u3000', 'x'.repeat(101)]);
      else {
        const manifest = decode(base.manifest) as { payload: Record<string, CborValue> };
        const name = pick(r, ['renamed.bin', 'x'.repeat(100), '\u180ex\u200b', 'x\u00a0']);
        layers.payloadName = name;
        layers.manifest = encodeCanonical({ ...manifest, payload: { ...manifest.payload, name } } as CborValue);
      }
      return ['payload', layers];
    }
    default: {
      const [what, mutated] = byteMutation(r, base.envelope);
      layers.envelope = () => mutated;
      return [`envelope: ${what}`, layers];
    }
  }
}

/** What one reader did with an input. */
type Outcome = { accepted: true; payload: Buffer; manifest: Buffer } | { accepted: false; code: string; transient: boolean; sealpost: boolean; left: string[] };

/** Counts and findings of a run. */
export interface FuzzReport {
  iterations: number;
  accepted: number;
  byCode: Record<string, number>;
  byMutation: Record<string, number>;
  findings: string[];
}

/** Runs the harness: `iterations` inputs, or until `deadline` (ms since epoch). */
export async function fuzz(options: { seed: number; iterations?: number; deadline?: number; maxFindings?: number }): Promise<FuzzReport> {
  const r = prng(options.seed);
  const bases = loadBases();
  const trust = createTrustStore(SENDER_KEYS.map((k) => createLocalTrustedSender(fixture(`${k}.pub.pem`))));
  const opener = createOpener({ keys: createLocalKeyUnwrapper(fixture('rsa-2048.pem')), trust, limits: LIMITS, streamLimits: LIMITS, now: () => NOW });
  const dir = mkdtempSync(join(tmpdir(), 'sealpost-fuzz-'));
  const report: FuzzReport = { iterations: 0, accepted: 0, byCode: {}, byMutation: {}, findings: [] };
  const maxFindings = options.maxFindings ?? 20;
  try {
    while ((options.iterations === undefined || report.iterations < options.iterations) && (options.deadline === undefined || Date.now() < options.deadline)) {
      const base = pick(r, bases);
      const [mutation, layers] = await structuralMutation(r, base);
      const input = await assemble(base, layers);
      const iteration = report.iterations++;
      const sub = join(dir, String(iteration));
      const settle = async (run: () => Promise<{ payload: Buffer; manifest: Buffer }>, where: string): Promise<Outcome> => {
        try {
          const { payload, manifest } = await run();
          return { accepted: true, payload, manifest };
        } catch (error) {
          const left = readdirSync(sub).filter((f) => f.replace(/^\./, '').startsWith(where));
          return { accepted: false, code: isSealpostError(error) ? error.code : String(error), transient: isSealpostError(error) && error.transient, sealpost: isSealpostError(error), left };
        }
      };
      rmSync(sub, { recursive: true, force: true });
      mkdirSync(sub);
      const chunk = 1 + int(r, 5000);
      const outcomes: [string, Outcome][] = [
        ['open', await settle(async () => { const m = await opener.open(input); return { payload: Buffer.from(m.payload), manifest: Buffer.from(m.manifestBytes) }; }, 'open')],
        ['openStream', await settle(async () => {
          const m = await opener.openStream((function* () { for (let i = 0; i < input.length; i += chunk) yield input.subarray(i, i + chunk); })(), { payloadPath: join(sub, 'stream.out') });
          return { payload: readFileSync(join(sub, 'stream.out')), manifest: Buffer.from(m.manifestBytes) };
        }, 'stream')],
      ];
      if (iteration % 8 === 0) {
        writeFileSync(join(sub, 'in.enc'), input);
        outcomes.push(['openFile', await settle(async () => {
          const m = await opener.openFile(join(sub, 'in.enc'), { payloadPath: join(sub, 'file.out'), bundlePath: join(sub, 'file.tar') });
          return { payload: readFileSync(join(sub, 'file.out')), manifest: Buffer.from(m.manifestBytes) };
        }, 'file')]);
      }
      rmSync(sub, { recursive: true, force: true });
      const found = (what: string) => {
        if (report.findings.length < maxFindings) report.findings.push(`#${iteration} ${base.name}, ${mutation}: ${what} (input ${createHash('sha256').update(input).digest('hex').slice(0, 16)})`);
      };
      const [, first] = outcomes[0]!;
      report.byMutation[mutation.split(':')[0]!] = (report.byMutation[mutation.split(':')[0]!] ?? 0) + 1;
      if (first.accepted) report.accepted++;
      else report.byCode[first.code] = (report.byCode[first.code] ?? 0) + 1;
      for (const [reader, outcome] of outcomes) {
        if (!outcome.accepted) {
          if (!outcome.sealpost) found(`${reader} threw a non-SealpostError: ${outcome.code}`);
          else if (outcome.transient) found(`${reader} threw a transient ${outcome.code}`);
          if (outcome.left.length > 0) found(`${reader} left ${outcome.left.join(', ')} on disk`);
        }
        if (outcome.accepted !== first.accepted) found(`open ${first.accepted ? 'accepted' : 'rejected'}, ${reader} ${outcome.accepted ? 'accepted' : 'rejected'}`);
        else if (!outcome.accepted && !first.accepted && outcome.code !== first.code) found(`open says ${first.code}, ${reader} says ${outcome.code}`);
        else if (outcome.accepted && first.accepted && (!outcome.payload.equals(first.payload) || !outcome.manifest.equals(first.manifest))) found(`${reader} released other bytes than open`);
      }
      if (first.accepted && mutation.startsWith('envelope') && !input.equals(base.envelope)) found('a byte-wise mutation of a sealed envelope was accepted');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

/** The report as text: iterations, outcomes by code, findings. */
export function formatReport(report: FuzzReport, seconds: number): string {
  const rows = Object.entries(report.byCode).sort((a, b) => b[1] - a[1]);
  return [
    `iterations: ${report.iterations} in ${seconds.toFixed(0)} s (${(report.iterations / Math.max(seconds, 1e-9)).toFixed(0)}/s)`,
    `mutations: ${Object.entries(report.byMutation).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `accepted: ${report.accepted}`,
    'rejected, by code:',
    ...rows.map(([code, n]) => `  ${code.padEnd(24)} ${n}`),
    `findings: ${report.findings.length}`,
    ...report.findings.map((f) => `  ${f}`),
  ].join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '1' }, seed: { type: 'string' } } });
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) throw new Error(`--minutes expects a positive number, got ${values.minutes}`);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  const started = Date.now();
  console.log(`fuzzing the envelope readers for ${minutes} minute(s), seed ${seed}`);
  const report = await fuzz({ seed, deadline: started + minutes * 60_000, maxFindings: 50 });
  console.log(formatReport(report, (Date.now() - started) / 1000));
  process.exitCode = report.findings.length > 0 ? 1 : 0;
}
