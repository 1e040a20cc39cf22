import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import mime from 'mime-types';
import { DECOMPRESSION_ALLOWANCE_BYTES, DEFAULT_LIMITS, checkMessageOptions, createSealer, describeCertificate, openInputFile, parseCertificateChain } from '@sealpost/envelope';
import { resolveAll, resolveKeyWrapper, resolveSigner } from '@sealpost/key-refs';
import { assertWritable, spoolStdin, withTempDir } from '../files.ts';
import { collect, parseCount, parseMetadata } from '../options.ts';
import { createOutput, usage } from '../output.ts';

interface SealOptions {
  signKey: string;
  cert?: string;
  to?: string[];
  in: string;
  out?: string;
  name?: string;
  contentType?: string;
  metadata?: string[];
  gzip?: boolean;
  maxRecipients: string;
  force?: boolean;
  json?: boolean;
}

/** `sealpost seal`: sign a file, then encrypt it for one or more recipients. */
export function sealCommand(): Command {
  return new Command('seal')
    .description('Sign a payload with the sender key, then encrypt it for each recipient')
    .requiredOption('--sign-key <ref>', 'sender key: EC private key PEM file, or kms:KEY')
    .option('--cert <file>', "the sender key's certificate chain, PEM: leaf first, then intermediates (carried in the envelope and signed)")
    .option('--to <ref>', 'recipient key: RSA public key PEM file, or kms:KEY (repeat for several)', collect)
    .requiredOption('--in <file>', "payload file, or '-' for standard input")
    .option('--out <file>', "envelope file, or '-' for standard output (default: <in>.enc)")
    .option('--name <name>', 'payload file name inside the envelope (default: the input file name)')
    .option('--content-type <type>', 'payload content type (default: from the file extension)')
    .option('--metadata <key=value>', 'signed metadata entry (repeatable)', collect)
    .option('--gzip', 'compress the bundle before encryption (readers refuse bundles that expand past 256:1 beyond their first MiB)')
    .option('--max-recipients <n>', 'most --to recipients (a receiver with default limits opens at most 16); raise it only when every receiver\'s SEALPOST_MAX_RECIPIENTS is as high', String(DEFAULT_LIMITS.maxRecipients))
    .option('--force', 'overwrite an existing output file')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  sealpost seal --sign-key keys/sender.pem --to keys/receiver.pub.pem --in message.json --out message.enc\n  cat report.csv | sealpost seal --sign-key keys/sender.pem --to a.pub.pem --to b.pub.pem --in - --name report.csv --out -')
    .action(async (options: SealOptions) => {
      if (!options.to?.length) throw usage('at least one --to recipient is required');
      // Everything the flags alone decide is checked before a key is read or a file opened.
      const maxRecipients = parseCount(options.maxRecipients, '--max-recipients', 1, 1024);
      if (options.to.length > maxRecipients) {
        throw usage(`${options.to.length} --to recipients are more than --max-recipients (${maxRecipients}); a receiver with default limits opens at most ${DEFAULT_LIMITS.maxRecipients}, so raise --max-recipients only when every receiver accepts as many`);
      }
      const outPath = options.out ?? (options.in === '-' ? '-' : `${options.in}.enc`);
      const out = createOutput(Boolean(options.json), outPath === '-');
      const name = options.name ?? (options.in === '-' ? 'payload' : basename(options.in));
      const contentType = options.contentType ?? (mime.lookup(name) || 'application/octet-stream');
      const message = { name, contentType, metadata: parseMetadata(options.metadata) };
      checkMessageOptions(message);
      await assertWritable(outPath, Boolean(options.force));
      const [signer, recipients, certificates] = await Promise.all([
        resolveSigner(options.signKey),
        resolveAll(options.to, resolveKeyWrapper),
        options.cert === undefined ? [] : readFile(options.cert).then(parseCertificateChain),
      ]);
      const sealer = createSealer({ signer, recipients, certificates, compression: options.gzip ? 'gzip' : 'none', limits: { maxRecipients } });
      const certifiedAs = certificates.length ? describeCertificate(certificates[0]!).subject : undefined;
      const result = await withTempDir(async (dir) => {
        const inPath = options.in === '-' ? join(dir, 'stdin') : options.in;
        if (options.in === '-') await spoolStdin(inPath);
        if (outPath !== '-') return { ...(await sealer.sealFile(inPath, outPath, message)), payloadBytes: (await stat(inPath)).size };
        const input = await openInputFile(inPath);
        const sealed = sealer.sealStream(input.stream, input.size, message);
        let bytes = 0;
        for await (const chunk of sealed.stream) {
          bytes += chunk.length;
          if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
        return { id: sealed.id, bytes, payloadBytes: input.size };
      });
      // Readers bound decompression (FORMAT.md section 5); say so now rather than at the receiver.
      const tooCompressed = Boolean(options.gzip) && result.payloadBytes > DEFAULT_LIMITS.maxCompressionRatio * result.bytes + DECOMPRESSION_ALLOWANCE_BYTES;
      const warning = tooCompressed ? `the payload compressed past ${DEFAULT_LIMITS.maxCompressionRatio}:1: readers with default limits refuse this envelope (LIMIT_EXCEEDED); seal it without --gzip` : undefined;
      out.result(
        { id: result.id, out: outPath, bytes: result.bytes, sender: signer.keyId, ...(certifiedAs ? { senderSubject: certifiedAs } : {}), recipients: recipients.map((r) => r.keyId), ...(warning ? { warning } : {}) },
        `sealed ${name} as message ${result.id}\n  signed by ${signer.keyId}${certifiedAs ? ` (certified as ${certifiedAs})` : ''}\n  for ${recipients.map((r) => r.keyId).join(', ')}\n  wrote ${result.bytes} bytes to ${outPath === '-' ? 'standard output' : outPath}${warning ? `\n  warning: ${warning}` : ''}`,
      );
    });
}
