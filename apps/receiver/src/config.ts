import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealpostError, isBucketName, parseS3Location } from '@sealpost/envelope';
import ms from 'ms';
import { z } from 'zod';

const isS3Location = (value: string) => {
  try {
    return Boolean(parseS3Location(value));
  } catch {
    return false;
  }
};

const duration = (allowNone: boolean) =>
  z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx): number | null => {
    if (typeof value === 'number') return value;
    if (allowNone && /^(none|off|0)$/i.test(value.trim())) return null;
    const parsed = ms(value.trim() as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s, 5m, 7d${allowNone ? " or 'none'" : ''}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return parsed;
  });

const list = z.union([z.array(z.string().min(1)), z.string()]).transform((value) =>
  (Array.isArray(value) ? value : value.split(/[,\n]/)).map((s) => s.trim()).filter(Boolean),
);

const boolean = z.union([z.boolean(), z.string()]).transform((value, ctx): boolean => {
  if (typeof value === 'boolean') return value;
  if (/^(true|yes|1|on)$/i.test(value.trim())) return true;
  if (/^(false|no|0|off)$/i.test(value.trim())) return false;
  ctx.addIssue({ code: 'custom', message: `expected true or false, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

/** S3 bucket names (the rules S3 applies to general purpose buckets). */
const buckets = list.pipe(z.array(z.string().refine(isBucketName, 'expected S3 bucket names (3-63 of a-z, 0-9, dot and hyphen, as S3 names them)')));

const int = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z.number({ error: `expected an integer from ${min} to ${max}` }).int(`expected an integer from ${min} to ${max}`).min(min, `expected an integer from ${min} to ${max}`).max(max, `expected an integer from ${min} to ${max}`),
  );

/**
 * Every receiver setting: its key in a config file, its environment variable, its default and
 * what it means. The loader, `--help` and the README's reference table all come from here.
 */
export const SETTINGS = {
  transport: { env: 'SEALPOST_TRANSPORT', default: 'spool:.sealpost/spool', schema: z.string().min(1), help: 'Where envelopes arrive: spool:DIR, bullmq://HOST:PORT/QUEUE or sqs:QUEUE_URL?deadLetter=DLQ_URL' },
  store: { env: 'SEALPOST_STORE', default: 'sqlite:.sealpost/messages.db', schema: z.string().min(1), help: 'Where verified messages are stored: sqlite:FILE, postgres://..., redis://... or dynamodb://TABLE' },
  blobStore: {
    env: 'SEALPOST_BLOB_STORE',
    default: '',
    schema: z.string().refine((v) => /^$|^none$|^dir:.+/.test(v) || (v.startsWith('s3://') && isS3Location(v)), "expected dir:PATH, s3://BUCKET[/PREFIX] or 'none'"),
    help: "Where payloads over SEALPOST_INLINE_PAYLOAD_MAX are kept instead of in the store's rows: dir:PATH, s3://BUCKET[/PREFIX] or 'none' (empty: blobs/ beside a SQLite store, none for the others)",
  },
  inlinePayloadMax: { env: 'SEALPOST_INLINE_PAYLOAD_MAX', default: 256 * 1024, schema: int(0, 8 ** 11 - 1), help: 'Largest payload kept in a store row, in bytes; larger ones go to the blob location (DynamoDB rows hold at most 389120)' },
  keys: { env: 'SEALPOST_KEYS', default: undefined, schema: list.pipe(z.array(z.string()).min(1, 'at least one receiver key is required')), help: 'Our private keys, comma-separated: PEM files or kms:KEY (id, ARN or alias)' },
  trust: { env: 'SEALPOST_TRUST', default: '', schema: list, help: 'Trusted senders, comma-separated: public key PEM files, directories of *.pub.pem, or kms:KEY (this, SEALPOST_TRUST_CA or both)' },
  trustCa: { env: 'SEALPOST_TRUST_CA', default: '', schema: list, help: 'Trusted CA certificates, comma-separated PEM files: senders whose certificate chains to one are accepted' },
  crl: { env: 'SEALPOST_CRL', default: '', schema: list, help: 'Certificate revocation lists, comma-separated: PEM or DER files, or http(s) URLs fetched and cached' },
  crlRefresh: { env: 'SEALPOST_CRL_REFRESH', default: '1h', schema: duration(false), help: 'How often a CRL fetched from a URL is fetched again' },
  crlMaxStale: { env: 'SEALPOST_CRL_MAX_STALE', default: '1d', schema: duration(false), help: 'How long the last fetched CRL is used when refreshes fail; past it, messages wait (transient)' },
  requireSubject: { env: 'SEALPOST_REQUIRE_SUBJECT', default: '', schema: z.string(), help: "Certified senders: the leaf's exact subject, e.g. 'CN=orders, O=Example'" },
  requireSan: { env: 'SEALPOST_REQUIRE_SAN', default: '', schema: z.string(), help: 'Certified senders: a subject alternative name the leaf must carry, e.g. URI:urn:example:orders' },
  requireEku: { env: 'SEALPOST_REQUIRE_EKU', default: '', schema: z.string(), help: 'Certified senders: an extended key usage OID the leaf must list' },
  requirePolicy: { env: 'SEALPOST_REQUIRE_POLICY', default: '', schema: z.string(), help: 'Certified senders: a certificate policy OID the leaf must list' },
  concurrency: { env: 'SEALPOST_CONCURRENCY', default: 8, schema: int(1, 256), help: 'Messages processed at once (1-256)' },
  maxAge: { env: 'SEALPOST_MAX_AGE', default: '7d', schema: duration(true), help: "Oldest message accepted (e.g. 7d, 12h), or 'none'" },
  maxClockSkew: { env: 'SEALPOST_MAX_CLOCK_SKEW', default: '5m', schema: duration(false), help: 'How far in the future a message creation time may be' },
  shutdownTimeout: { env: 'SEALPOST_SHUTDOWN_TIMEOUT', default: '30s', schema: duration(false), help: 'On SIGTERM/SIGINT, how long in-flight messages may take to finish' },
  metricsHost: { env: 'SEALPOST_METRICS_HOST', default: '127.0.0.1', schema: z.string().min(1), help: 'Address of the /metrics, /healthz and /readyz server' },
  metricsPort: { env: 'SEALPOST_METRICS_PORT', default: 9464, schema: z.union([z.literal('off'), int(0, 65535)], { error: "expected a port from 0 to 65535, or 'off'" }), help: "Port of that server (0 picks one; 'off' disables it)" },
  logLevel: { env: 'SEALPOST_LOG_LEVEL', default: 'info', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'expected one of fatal, error, warn, info, debug, trace, silent' }), help: 'Log level (JSON logs on stdout)' },
  maxPayloadBytes: { env: 'SEALPOST_MAX_PAYLOAD_BYTES', default: 64 * 1024 * 1024, schema: int(1, 8 ** 11 - 1), help: 'Largest payload accepted, in bytes' },
  maxRecipients: { env: 'SEALPOST_MAX_RECIPIENTS', default: 16, schema: int(1, 1024), help: 'Most recipients per message' },
  dataKeyCacheEntries: { env: 'SEALPOST_DATA_KEY_CACHE_ENTRIES', default: 1000, schema: int(0, 1_000_000), help: 'Unwrapped data keys kept (0 disables the cache)' },
  dataKeyCacheTtl: { env: 'SEALPOST_DATA_KEY_CACHE_TTL', default: '10m', schema: duration(false), help: 'How long an unwrapped data key is kept' },
  statementCacheEntries: { env: 'SEALPOST_STATEMENT_CACHE_ENTRIES', default: 1000, schema: int(0, 1_000_000), help: 'Verified batch statements kept, so one signature check serves a whole batch (0 disables the cache)' },
  statementCacheTtl: { env: 'SEALPOST_STATEMENT_CACHE_TTL', default: '10m', schema: duration(false), help: 'How long a verified batch statement is kept' },
  offloadBuckets: { env: 'SEALPOST_OFFLOAD_BUCKETS', default: '', schema: buckets, help: 'S3 buckets offloaded envelopes may be fetched from, comma-separated; a pointer to any other bucket is dead-lettered unread (POINTER_BUCKET_NOT_ALLOWED). Empty: no pointer is followed' },
  offloadMaxBytes: { env: 'SEALPOST_OFFLOAD_MAX_BYTES', default: 2 ** 31, schema: int(1, 8 ** 11 - 1), help: 'Largest offloaded envelope fetched, in bytes; a pointer declaring more is dead-lettered unread (OFFLOAD_TOO_LARGE)' },
  offloadKeep: { env: 'SEALPOST_OFFLOAD_KEEP', default: false, schema: boolean, help: 'Keep an offloaded object after its message is stored (as evidence), instead of deleting it' },
  offloadTempDir: { env: 'SEALPOST_OFFLOAD_TEMP_DIR', default: join(tmpdir(), 'sealpost-receiver'), schema: z.string().min(1), help: 'Where payloads of offloaded envelopes are written while they are verified (removed on every path, and at start after a crash)' },
  kmsVerify: { env: 'SEALPOST_KMS_VERIFY', default: 'local', schema: z.enum(['local', 'kms']), help: "KMS sender keys: verify locally with the cached public key ('local', no KMS call per message) or with the KMS Verify API ('kms')" },
} as const;

type Settings = typeof SETTINGS;

/**
 * SEALPOST_* variables that belong to other Sealpost tools (tests, benchmarks, examples, the
 * demo job, the Node launcher) and are not receiver settings; every other unknown one is refused.
 */
const OTHER_TOOLS_VARIABLES = /^SEALPOST_((TEST|BENCH|EXAMPLE)_\w+|DATA_DIR|TOOLS_DIR)$/;

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** Unknown SEALPOST_* variables in `env`, each with the closest known one when it looks like a typo. */
function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const known = Object.values(SETTINGS).map((s) => s.env as string);
  return Object.keys(env)
    .filter((name) => name.startsWith('SEALPOST_') && !known.includes(name) && !OTHER_TOOLS_VARIABLES.test(name))
    .sort()
    .map((name) => {
      const closest = known.map((k) => [k, editDistance(name, k)] as const).sort((x, y) => x[1] - y[1])[0]!;
      return closest[1] <= 3 ? `${name} (did you mean ${closest[0]}?)` : name;
    });
}
/** The validated receiver configuration. */
export type ReceiverConfig = { readonly [K in keyof Settings]: z.output<Settings[K]['schema']> };

/**
 * Loads the configuration: defaults, then a JSON config file (keys as in {@link SETTINGS}),
 * then environment variables. Every problem is reported at once, each naming the setting and
 * its environment variable; the error is CONFIG_INVALID. An unknown SEALPOST_* variable (a
 * misspelled setting) is a problem too, so a typo never silently falls back to a default.
 */
export async function loadReceiverConfig(options: { env?: NodeJS.ProcessEnv; file?: string } = {}): Promise<ReceiverConfig> {
  return loadReceiverSettings(Object.keys(SETTINGS) as (keyof Settings)[], options);
}

/**
 * Loads some of the settings as {@link loadReceiverConfig} loads all of them — the same
 * sources, defaults, checks and refusal of unknown SEALPOST_* variables — for a tool that
 * needs only those (`sealpost keys trusted` reads the trust settings; no receiver key is needed).
 */
export async function loadReceiverSettings<K extends keyof Settings>(only: readonly K[], options: { env?: NodeJS.ProcessEnv; file?: string } = {}): Promise<Pick<ReceiverConfig, K>> {
  const env = options.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  if (options.file) {
    try {
      fromFile = JSON.parse(await readFile(options.file, 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new SealpostError('CONFIG_INVALID', `cannot read config file ${options.file}: ${(cause as Error).message}`, { cause });
    }
    const unknown = Object.keys(fromFile).filter((key) => !Object.hasOwn(SETTINGS, key));
    if (unknown.length > 0) throw new SealpostError('CONFIG_INVALID', `unknown setting(s) in ${options.file}: ${unknown.join(', ')}`);
  }
  const problems: string[] = unknownVariables(env).map((name) => `unknown environment variable ${name}`);
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS).filter(([key]) => (only as readonly string[]).includes(key))) {
    const raw = env[setting.env] !== undefined && env[setting.env] !== '' ? env[setting.env] : (fromFile[key] ?? setting.default);
    const result = (setting.schema as z.ZodType).safeParse(raw);
    if (result.success) config[key] = result.data;
    else problems.push(`${key} (${setting.env}): ${raw === undefined ? 'required' : result.error.issues.map((i) => i.message).join('; ')}`);
  }
  const listed = (key: 'trust' | 'trustCa' | 'crl' | 'offloadBuckets') => (config[key] as string[] | undefined)?.length ?? 0;
  if (config.trust && config.trustCa && listed('trust') === 0 && listed('trustCa') === 0) {
    problems.push(`trust (${SETTINGS.trust.env}) or trustCa (${SETTINGS.trustCa.env}): at least one trusted sender or CA certificate is required`);
  }
  if (config.trustCa && listed('crl') > 0 && listed('trustCa') === 0) {
    problems.push(`crl (${SETTINGS.crl.env}): CRLs apply to certificates; set trustCa (${SETTINGS.trustCa.env}) too`);
  }
  // An offloaded envelope is as large as the offload limit: only a blob location holds such payloads
  // (SQLite has one by default; a database row would take the whole payload into memory, or refuse it).
  const blobless = config.blobStore === '' || config.blobStore === 'none';
  if (listed('offloadBuckets') > 0 && typeof config.store === 'string' && !config.store.startsWith('sqlite:') && blobless) {
    problems.push(`offloadBuckets (${SETTINGS.offloadBuckets.env}): offloaded payloads are stored in a blob location; set blobStore (${SETTINGS.blobStore.env}) for ${config.store.split(':')[0]} stores`);
  }
  if (problems.length > 0) throw new SealpostError('CONFIG_INVALID', `invalid receiver configuration: ${problems.join('; ')}`);
  return config as Pick<ReceiverConfig, K>;
}

/** The settings as a text table, for `--help` and documentation. */
export function describeSettings(): string {
  return Object.entries(SETTINGS)
    .map(([key, s]) => `  ${s.env.padEnd(32)} ${key.padEnd(20)} ${s.help}${s.default === undefined ? ' (required)' : ` (default: ${String(s.default)})`}`)
    .join('\n');
}
