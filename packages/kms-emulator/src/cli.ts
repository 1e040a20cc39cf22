#!/usr/bin/env node
/**
 * `sealpost-kms-emulator --port 4599`: runs the KMS emulator until SIGTERM or SIGINT, then exits 0.
 * Prints one line with the URL once it is listening.
 */
import { parseArgs } from 'node:util';
import { parseKeySeed, parseQuotas, startKmsEmulator, type KeySeed } from './index.ts';

const USAGE = `usage: sealpost-kms-emulator [--port N] [--host 127.0.0.1] [--region us-east-1]
                             [--latency-ms N] [--throttle-rate R] [--throttle-every N] [--failure-rate R]
                             [--quota ecc=300,rsa=500] [--key alias/NAME=KEY_SPEC ...]

  --port N            port to listen on, 0 picks a free one (default 4599)
  --host ADDR         address to bind (default 127.0.0.1)
  --region NAME       region in ARNs for unsigned requests (default us-east-1; signed
                      requests use the region they were signed for)
  --latency-ms N      added to every call
  --throttle-rate R   fraction of calls (0-1) answered with ThrottlingException
  --throttle-every N  answer every Nth call with ThrottlingException
  --failure-rate R    fraction of calls (0-1) answered with HTTP 500 KMSInternalException
  --quota KIND=RATE   request-rate quota per key type (ecc, rsa, symmetric), requests per
                      second, shared by Sign, Verify, GetPublicKey, Encrypt, Decrypt and
                      GenerateDataKey as KMS meters them; over it: ThrottlingException
  --key alias/NAME=KEY_SPEC[:KEY_USAGE][:EXTERNAL]
                      create a key under this alias at start (repeatable; keys live in
                      memory): KEY_USAGE defaults to SIGN_VERIFY for ECC keys and
                      ENCRYPT_DECRYPT otherwise, EXTERNAL waits for imported material, e.g.
                      --key alias/sealpost-sender=ECC_NIST_P521
                      --key alias/sealpost-receiver=RSA_4096
                      --key alias/byok=SYMMETRIC_DEFAULT:EXTERNAL

Faults, quotas and call counters can also be changed at runtime: POST /__emulator/faults and
POST /__emulator/quotas (JSON),
GET /__emulator/calls, POST /__emulator/reset-calls.`;

function fail(message: string): never {
  console.error(`sealpost-kms-emulator: ${message}\n${USAGE}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      port: { type: 'string', default: '4599' },
      host: { type: 'string', default: '127.0.0.1' },
      region: { type: 'string', default: 'us-east-1' },
      'latency-ms': { type: 'string', default: '0' },
      'throttle-rate': { type: 'string', default: '0' },
      'throttle-every': { type: 'string', default: '0' },
      'failure-rate': { type: 'string', default: '0' },
      quota: { type: 'string', default: '' },
      key: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (error) {
  fail((error as Error).message);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const number = (flag: keyof typeof values) => {
  const text = String(values[flag]);
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) fail(`--${flag} must be a number, got ${text}`);
  return value;
};

let keys: KeySeed[] = [];
try {
  keys = values.key.map(parseKeySeed);
} catch (error) {
  fail((error as Error).message);
}

try {
  const emulator = await startKmsEmulator({
    port: number('port'),
    host: values.host,
    region: values.region,
    latencyMs: number('latency-ms'),
    throttleRate: number('throttle-rate'),
    throttleEvery: number('throttle-every'),
    failureRate: number('failure-rate'),
    quotas: parseQuotas(values.quota),
    keys,
  });
  // One write, so a reader of the first chunk sees the URL and every seeded key together.
  const lines = [`KMS emulator listening on ${emulator.url} (default region ${values.region}); set AWS_ENDPOINT_URL_KMS=${emulator.url}`];
  for (const key of emulator.keys) lines.push(`  ${key.alias} -> ${key.arn} (${key.keySpec}, ${key.keyUsage}, ${key.keyState})`);
  console.log(lines.join('\n'));
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  if (error instanceof RangeError) fail(error.message);
  console.error(`sealpost-kms-emulator: ${(error as Error).message}`);
  process.exit(1);
}
