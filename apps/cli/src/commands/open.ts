import { join } from 'node:path';
import { Command } from 'commander';
import { combineTrustStores, createOpener, createTrustStore, decodeProof, decodeStatement, describeCertificate, openInputFile } from '@sealpost/envelope';
import { resolveAll, resolveCertificateTrust, resolveKeyUnwrapper, resolveTrustedSenders } from '@sealpost/key-refs';
import { assertDistinct, assertWritable, catToStdout, withTempDir } from '../files.ts';
import { collect, parseDuration, parseSize } from '../options.ts';
import { createOutput, usage } from '../output.ts';

interface OpenOptions {
  key?: string[];
  trust?: string[];
  trustCa?: string[];
  crl?: string[];
  requireSubject?: string;
  requireSan?: string;
  requireEku?: string;
  requirePolicy?: string;
  in: string;
  out: string;
  bundleOut?: string;
  maxAge: string;
  maxSize: string;
  force?: boolean;
  json?: boolean;
}

/** `sealpost open`: decrypt, verify and release a payload. */
export function openCommand(): Command {
  return new Command('open')
    .description('Decrypt an envelope, verify the sender signature and every check, then write the payload')
    .option('--key <ref>', 'our private key: RSA private key PEM file, or kms:KEY (repeatable)', collect)
    .option('--trust <ref>', 'trusted sender: EC public key PEM file, a directory of *.pub.pem, or kms:KEY (repeatable)', collect)
    .option('--trust-ca <file>', 'trusted CA certificate (PEM): accept senders whose certificate chains to it (repeatable)', collect)
    .option('--crl <file|url>', 'certificate revocation list: PEM or DER file, or http(s) URL (repeatable)', collect)
    .option('--require-subject <dn>', "with --trust-ca: the sender certificate's exact subject, e.g. 'CN=orders, O=Example'")
    .option('--require-san <name>', 'with --trust-ca: a subject alternative name the sender certificate must carry, e.g. URI:urn:example:orders')
    .option('--require-eku <oid>', 'with --trust-ca: an extended key usage OID the sender certificate must list')
    .option('--require-policy <oid>', 'with --trust-ca: a certificate policy OID the sender certificate must list')
    .requiredOption('--in <file>', "envelope file, or '-' for standard input")
    .requiredOption('--out <file>', "payload file, or '-' for standard output (written only after every check passed)")
    .option('--bundle-out <file>', 'also write the verified tar bundle (payload, manifest.cbor, manifest.sig; or statement.cbor, statement.sig, proof.cbor for a batch-signed message)')
    .option('--max-age <duration>', "oldest message accepted, e.g. 12h or 30d, or 'none'", '7d')
    .option('--max-size <size>', 'largest payload accepted, e.g. 64MiB or 4GiB: caps the bytes decompressed and written for one envelope', '1GiB')
    .option('--force', 'overwrite existing output files')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 opened; 1 rejected (verification or format failure); 2 usage or key error; 3 I/O error; 4 transient (retry later).\n\nExamples:\n  sealpost open --key keys/receiver.pem --trust keys/sender.pub.pem --in message.enc --out message.json\n  sealpost open --key keys/receiver.pem --trust keys/ --in message.enc --out - --bundle-out bundle.tar\n  sealpost open --key keys/receiver.pem --trust-ca ca/root.pem --crl ca/intermediate.crl --in message.enc --out message.json',
    )
    .action(async (options: OpenOptions) => {
      if (!options.key?.length) throw usage('at least one --key is required');
      if (!options.trust?.length && !options.trustCa?.length) throw usage('at least one --trust sender or --trust-ca certificate is required');
      if (options.crl?.length && !options.trustCa?.length) throw usage('--crl applies to certificates: give --trust-ca too');
      const out = createOutput(Boolean(options.json), options.out === '-');
      assertDistinct([['--out', options.out], ['--bundle-out', options.bundleOut]]);
      await assertWritable(options.out, Boolean(options.force));
      if (options.bundleOut) await assertWritable(options.bundleOut, Boolean(options.force));
      const maxAgeMs = parseDuration(options.maxAge, '--max-age');
      const constraints = {
        ...(options.requireSubject ? { subject: options.requireSubject } : {}),
        ...(options.requireSan ? { subjectAltName: options.requireSan } : {}),
        ...(options.requireEku ? { extendedKeyUsage: options.requireEku } : {}),
        ...(options.requirePolicy ? { policy: options.requirePolicy } : {}),
      };
      const [keys, senders, certificateTrust] = await Promise.all([
        resolveAll(options.key, resolveKeyUnwrapper),
        resolveAll(options.trust ?? [], resolveTrustedSenders),
        options.trustCa?.length ? resolveCertificateTrust({ trustCa: options.trustCa, crl: options.crl ?? [], constraints }) : undefined,
      ]);
      const trust = certificateTrust ? combineTrustStores(createTrustStore(senders), certificateTrust) : createTrustStore(senders);
      const maxPayloadBytes = parseSize(options.maxSize, '--max-size');
      const opener = createOpener({ keys, trust, maxAgeMs, streamLimits: { maxPayloadBytes } });
      const source = options.in === '-' ? process.stdin : (await openInputFile(options.in)).stream;
      const verified = await withTempDir(async (dir) => {
        const payloadPath = options.out === '-' ? join(dir, 'payload') : options.out;
        const message = await opener.openStream(source, { payloadPath, ...(options.bundleOut ? { bundlePath: options.bundleOut } : {}) });
        if (options.out === '-') await catToStdout(payloadPath);
        return message;
      });
      const { manifest } = verified;
      const batch = verified.batch ? { index: decodeProof(verified.batch.proof).index, count: decodeStatement(verified.batch.statement).count } : undefined;
      const sender = senders.find((s) => s.keyId === manifest.sender.keyId);
      const leaf = verified.certificates.length ? describeCertificate(verified.certificates[0]!) : undefined;
      out.result(
        {
          id: manifest.id,
          sender: manifest.sender.keyId,
          ...(leaf ? { senderSubject: leaf.subject, senderCertificate: leaf.fingerprint } : {}),
          algorithm: manifest.sender.algorithm,
          created: manifest.created.toISOString(),
          name: manifest.payload.name,
          contentType: manifest.payload.contentType,
          size: manifest.payload.size,
          sha256: Buffer.from(manifest.payload.sha256).toString('hex'),
          metadata: manifest.metadata,
          recipients: manifest.recipients,
          recipientKeyId: verified.recipientKeyId,
          ...(batch ? { batch } : {}),
          out: options.out,
          ...(options.bundleOut ? { bundleOut: options.bundleOut } : {}),
        },
        [
          `opened message ${manifest.id}`,
          `  from ${manifest.sender.keyId}${sender?.label ? ` (${sender.label})` : ''}, signature verified (${manifest.sender.algorithm}${batch ? `, batch-signed: leaf ${batch.index} of ${batch.count}` : ''})`,
          ...(leaf ? [`  certified as ${leaf.subject} (certificate sha256 ${leaf.fingerprint})`] : []),
          `  created ${manifest.created.toISOString()}`,
          `  ${manifest.payload.name} (${manifest.payload.contentType}, ${manifest.payload.size} bytes) -> ${options.out === '-' ? 'standard output' : options.out}`,
          ...(options.bundleOut ? [`  verified bundle -> ${options.bundleOut}`] : []),
        ].join('\n'),
      );
    });
}
