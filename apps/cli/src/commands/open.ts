import { join } from 'node:path';
import { Command } from 'commander';
import { createOpener, createTrustStore, openInputFile } from '@sealpost/envelope';
import { resolveAll, resolveKeyUnwrapper, resolveTrustedSenders } from '@sealpost/key-refs';
import { assertWritable, catToStdout, withTempDir } from '../files.ts';
import { collect, parseDuration } from '../options.ts';
import { createOutput, usage } from '../output.ts';

interface OpenOptions {
  key?: string[];
  trust?: string[];
  in: string;
  out: string;
  bundleOut?: string;
  maxAge: string;
  force?: boolean;
  json?: boolean;
}

/** `sealpost open`: decrypt, verify and release a payload. */
export function openCommand(): Command {
  return new Command('open')
    .description('Decrypt an envelope, verify the sender signature and every check, then write the payload')
    .option('--key <ref>', 'our private key: RSA private key PEM file, or kms:KEY (repeatable)', collect)
    .option('--trust <ref>', 'trusted sender: EC public key PEM file, a directory of *.pub.pem, or kms:KEY (repeatable)', collect)
    .requiredOption('--in <file>', "envelope file, or '-' for standard input")
    .requiredOption('--out <file>', "payload file, or '-' for standard output (written only after every check passed)")
    .option('--bundle-out <file>', 'also write the verified tar bundle (payload, manifest.cbor, manifest.sig)')
    .option('--max-age <duration>', "oldest message accepted, e.g. 12h or 30d, or 'none'", '7d')
    .option('--force', 'overwrite existing output files')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 opened; 1 rejected (verification or format failure); 2 usage or key error; 3 I/O error; 4 transient (retry later).\n\nExamples:\n  sealpost open --key keys/receiver.pem --trust keys/sender.pub.pem --in message.enc --out message.json\n  sealpost open --key keys/receiver.pem --trust keys/ --in message.enc --out - --bundle-out bundle.tar',
    )
    .action(async (options: OpenOptions) => {
      if (!options.key?.length) throw usage('at least one --key is required');
      if (!options.trust?.length) throw usage('at least one --trust sender is required');
      const out = createOutput(Boolean(options.json), options.out === '-');
      await assertWritable(options.out, Boolean(options.force));
      if (options.bundleOut) await assertWritable(options.bundleOut, Boolean(options.force));
      const maxAgeMs = parseDuration(options.maxAge, '--max-age');
      const [keys, senders] = await Promise.all([resolveAll(options.key, resolveKeyUnwrapper), resolveAll(options.trust, resolveTrustedSenders)]);
      const opener = createOpener({ keys, trust: createTrustStore(senders), maxAgeMs });
      const source = options.in === '-' ? process.stdin : (await openInputFile(options.in)).stream;
      const verified = await withTempDir(async (dir) => {
        const payloadPath = options.out === '-' ? join(dir, 'payload') : options.out;
        const message = await opener.openStream(source, { payloadPath, ...(options.bundleOut ? { bundlePath: options.bundleOut } : {}) });
        if (options.out === '-') await catToStdout(payloadPath);
        return message;
      });
      const { manifest } = verified;
      const sender = senders.find((s) => s.keyId === manifest.sender.keyId);
      out.result(
        {
          id: manifest.id,
          sender: manifest.sender.keyId,
          algorithm: manifest.sender.algorithm,
          created: manifest.created.toISOString(),
          name: manifest.payload.name,
          contentType: manifest.payload.contentType,
          size: manifest.payload.size,
          sha256: Buffer.from(manifest.payload.sha256).toString('hex'),
          metadata: manifest.metadata,
          recipients: manifest.recipients,
          recipientKeyId: verified.recipientKeyId,
          out: options.out,
          ...(options.bundleOut ? { bundleOut: options.bundleOut } : {}),
        },
        [
          `opened message ${manifest.id}`,
          `  from ${manifest.sender.keyId}${sender?.label ? ` (${sender.label})` : ''}, signature verified (${manifest.sender.algorithm})`,
          `  created ${manifest.created.toISOString()}`,
          `  ${manifest.payload.name} (${manifest.payload.contentType}, ${manifest.payload.size} bytes) -> ${options.out === '-' ? 'standard output' : options.out}`,
          ...(options.bundleOut ? [`  verified bundle -> ${options.bundleOut}`] : []),
        ].join('\n'),
      );
    });
}
