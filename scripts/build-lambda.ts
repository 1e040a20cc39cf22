/**
 * `npm run build:lambda -- [OUT.zip]`: the AWS Lambda artifact for the SQS handler
 * (apps/receiver/src/lambda-main.ts), default dist/lambda/sealpost-receiver-sqs.zip. The zip
 * holds one ES module, index.mjs (handler `index.handler`, runtime nodejs22.x or nodejs24.x),
 * bundled by esbuild with everything it imports — the KMS, DynamoDB and SQS clients included —
 * so it does not depend on the SDK version a Lambda runtime happens to carry.
 *
 * esbuild, because it bundles the workspace's TypeScript sources and their CommonJS dependencies
 * into one file in well under a second; fflate writes the zip without a `zip` binary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { ROOT } from './packages.ts';

const out = resolve(process.argv[2] ?? join(ROOT, 'dist/lambda/sealpost-receiver-sqs.zip'));
const result = await build({
  entryPoints: [join(ROOT, 'apps/receiver/src/lambda-main.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22.13',
  write: false,
  outfile: 'index.mjs',
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  // The CommonJS dependencies (pg, ioredis, the AWS SDK's) call require() for Node's built-ins.
  banner: { js: "import { createRequire as __sealpostRequire } from 'node:module'; const require = __sealpostRequire(import.meta.url);" },
  // Optional native bindings that pg loads only when asked to; never in this function.
  external: ['pg-native'],
  logLevel: 'warning',
});
const code = result.outputFiles[0]!.contents;
// Unix mode 0644 on the entry, as Lambda reads the files with another user id.
const zip = zipSync({ 'index.mjs': [code, { level: 9, os: 3, attrs: 0o100644 << 16 }] }, { mtime: new Date('2026-01-01T00:00:00Z') });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, zip);
console.log(`${out}\t${zip.length} bytes (index.mjs ${code.length} bytes)`);
